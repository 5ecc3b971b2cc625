import { wantsFragment } from '#app/http/htmx'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import { can } from '#modules/identity/index'
import { PlanLimitError, planLimitMessage } from '#modules/billing/index'
import { dispatchTenantJob, workspaceLayout } from '#modules/tenancy/index'
import { fieldError, keepInput } from '#app/http/form_errors'
import { COLUMN_TYPES, displayValue, type DatasetColumn } from '../services/column_types.js'
import {
  DatasetError,
  MAX_FILE_BYTES,
  browseDataset,
  confirmDraft,
  createDraftFromFile,
  deleteDataset,
  editRow,
  findDataset,
  findDatasetRow,
  latestImport,
  listDatasets,
  updateDatasetSettings,
  type Dataset,
  type DatasetImport,
} from '../services/dataset_service.js'
import { FILTER_OPS, type Filter, type FilterOp, type RowRecord } from '../services/row_table.js'
import { checkFilter, isDropped, type DroppedFilter } from '../services/query_parser.js'
import { searchDataset } from '../services/dataset_search.js'
import { REFRESH_CHOICES, createDraftFromUrl, updateRefresh } from '../services/dataset_sources.js'
import RefreshDatasetJob from '../jobs/refresh_dataset_job.js'

const PAGE_SIZE = 25
const SEARCH_K = 20

/**
 * The workspace's datasets: uploads and their column settings, the import's
 * live progress and error report, natural-language search with its filters
 * as removable chips, the row browser, row edits and deletion. Every member
 * browses and searches; owners and admins change.
 */
export default class DatasetsController {
  async index(ctx: HttpContext) {
    const { bouncer, view, access, tenant } = ctx
    await bouncer.with('DatasetPolicy').authorize('view', access)
    const { data } = await listDatasets(tenant, { limit: 200 })
    return view.render('data_engine::datasets/index', {
      ...workspaceLayout(ctx, 'datasets'),
      ...assets(),
      datasets: data.map((dataset) => ({
        ...dataset,
        sizeLabel: sizeLabel(dataset.sizeBytes),
      })),
      canManage: can(access, 'datasets.manage'),
    })
  }

  async create(ctx: HttpContext) {
    const { bouncer, view, access } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    return view.render('data_engine::datasets/new', {
      ...workspaceLayout(ctx, 'datasets'),
      ...assets(),
      maxMegabytes: MAX_FILE_BYTES / 1024 / 1024,
      refreshOptions: refreshOptions(ctx),
    })
  }

  async store(ctx: HttpContext) {
    const { bouncer, request, response, access, tenant, auth, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const base = workspaceLayout(ctx, 'datasets').base
    const back = `${base}/datasets/new`
    const name = String(request.input('name', '')).trim()
    const file = request.file('file', { size: `${MAX_FILE_BYTES / 1024 / 1024}mb` })
    if (!name) {
      fieldError(ctx, 'name', i18n.t('datasets.errors.name'))
      return response.redirect(back)
    }
    const address = String(request.input('url', '') ?? '').trim()
    const fromUrl = address !== '' && (!file || !file.tmpPath)
    if (!fromUrl && (!file || !file.tmpPath || !file.isValid)) {
      fieldError(ctx, 'file', i18n.t('datasets.errors.file'))
      return response.redirect(back)
    }
    try {
      const dataset = fromUrl
        ? await createDraftFromUrl(tenant, {
            name,
            description: request.input('description'),
            url: address,
            refreshMinutes: request.input('refresh'),
            createdByUserId: auth.user!.id,
          })
        : await createDraftFromFile(tenant, {
            name,
            description: request.input('description'),
            file: { bytes: await readFile(file!.tmpPath!), filename: file!.clientName },
            createdByUserId: auth.user!.id,
          })
      return response.redirect(`${base}/datasets/${dataset.id}`)
    } catch (error) {
      const field = fromUrl ? 'url' : 'file'
      if (error instanceof PlanLimitError) {
        fieldError(ctx, field, planLimitMessage(error, i18n.t.bind(i18n)))
        return response.redirect(back)
      }
      if (!(error instanceof DatasetError)) throw error
      fieldError(
        ctx,
        error.field === 'name' ? 'name' : error.field === 'refresh' ? 'refresh' : field,
        errorMessage(ctx, error)
      )
      return response.redirect(back)
    }
  }

  /** "Read the address now": the refresh runs as a job; the page shows how it went. */
  async refresh(ctx: HttpContext) {
    const { bouncer, response, access, tenant, params, session, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const url = `${workspaceLayout(ctx, 'datasets').base}/datasets/${params.id}`
    const dataset = await findDataset(tenant, params.id)
    if (!dataset) throw new lucidErrors.E_ROW_NOT_FOUND()
    if (!dataset.source || dataset.status !== 'ready') {
      session.flash('error', i18n.t('datasets.source.not_ready'))
      return response.redirect(`${url}#source`)
    }
    await dispatchTenantJob(
      RefreshDatasetJob,
      tenant,
      { datasetId: dataset.id },
      { jobId: `dataset-refresh-${tenant.slug}-${dataset.id}-now-${Date.now()}` }
    )
    session.flash('success', i18n.t('datasets.source.queued'))
    return response.redirect(`${url}#source`)
  }

  async show(ctx: HttpContext) {
    const { bouncer, request, view, access, tenant, params, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('view', access)
    const dataset = await findDataset(tenant, params.id)
    if (!dataset) throw new lucidErrors.E_ROW_NOT_FOUND()
    const layout = workspaceLayout(ctx, 'datasets')
    const job = await latestImport(tenant, dataset.id)
    const canManage = can(access, 'datasets.manage')
    const progress = presentImport(job)
    const common = {
      ...layout,
      ...assets(),
      dataset,
      progress,
      canManage,
      refreshOptions: refreshOptions(ctx),
      base: layout.base,
      url: `${layout.base}/datasets/${dataset.id}`,
    }
    if (wantsFragment(request, 'dataset-progress')) {
      // The progress region polls itself; once the import ends the page reloads whole.
      if (dataset.status !== 'importing') {
        ctx.response.header('HX-Refresh', 'true')
      }
      return view.render('data_engine::datasets/_progress', common)
    }
    if (dataset.status === 'draft') {
      return view.render('data_engine::datasets/columns', {
        ...common,
        types: COLUMN_TYPES.map((type) => ({
          value: type,
          label: i18n.t(`datasets.types.${type}`),
        })),
      })
    }

    const qs = request.qs()
    const q = String(qs.q ?? '')
      .trim()
      .slice(0, 300)
    const shown = dataset.columns.filter((column) => column.shown)
    const data: Record<string, unknown> = {
      ...common,
      q,
      shown,
      columnsJson: dataset.columns,
      filterOps: FILTER_OPS,
      typeLabel: (type: string) => i18n.t(`datasets.types.${type}`),
    }
    if (q) {
      const without = String(qs.without ?? '')
        .split(',')
        .filter((part) => /^\d+$/.test(part))
        .map(Number)
      const result = await searchDataset(tenant, dataset, q, {
        k: SEARCH_K,
        without,
        useModel: true,
      })
      const chipUrl = (index: number) => {
        const next = [...new Set([...without, index])].sort()
        return `${common.url}?${new URLSearchParams({ q, without: next.join(',') })}`
      }
      data.search = {
        chips: result.parsedFilters.map((filter, index) => ({
          label: chipLabel(ctx, dataset, filter),
          removed: without.includes(index),
          removeUrl: chipUrl(index),
        })),
        dropped: result.dropped.map((dropped) => droppedLabel(ctx, dataset, dropped)),
        rest: result.rest,
        rows: result.results.map((hit) => presentRow(dataset, shown, hit.row)),
        resetUrl: `${common.url}?${new URLSearchParams({ q })}`,
        anyRemoved: without.length > 0,
      }
    } else {
      const filter = browseFilter(dataset, qs)
      const sortColumn = dataset.columns.find((column) => column.name === qs.sort)
      const direction = qs.dir === 'desc' ? 'desc' : 'asc'
      const page = Math.max(1, Math.trunc(Number(qs.page) || 1))
      const browse = await browseDataset(tenant, dataset, {
        filters: filter.filter ? [filter.filter] : [],
        sort: sortColumn ? { column: sortColumn.name, direction } : null,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
      })
      const keep = (extra: Record<string, string | number>) => {
        const search = new URLSearchParams()
        for (const key of ['col', 'op', 'val', 'sort', 'dir']) {
          if (qs[key]) search.set(key, String(qs[key]))
        }
        for (const [key, value] of Object.entries(extra)) search.set(key, String(value))
        return `${common.url}?${search}`
      }
      const pages = Math.max(1, Math.ceil(browse.total / PAGE_SIZE))
      data.browse = {
        rows: browse.rows.map((row) => presentRow(dataset, shown, row)),
        total: browse.total,
        page,
        pages,
        prevUrl: page > 1 ? keep({ page: page - 1 }) : null,
        nextUrl: page < pages ? keep({ page: page + 1 }) : null,
        sortUrl: (name: string) =>
          keep({ sort: name, dir: qs.sort === name && direction === 'asc' ? 'desc' : 'asc' }),
        sort: sortColumn?.name ?? null,
        direction,
        filter: filter.form,
        filterError: filter.error,
      }
    }
    return view.render('data_engine::datasets/show', data)
  }

  async confirm(ctx: HttpContext) {
    const { bouncer, request, response, access, tenant, params, session, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const url = `${workspaceLayout(ctx, 'datasets').base}/datasets/${params.id}`
    const dataset = await findDataset(tenant, params.id)
    if (!dataset) throw new lucidErrors.E_ROW_NOT_FOUND()
    try {
      await confirmDraft(tenant, dataset.id, {
        columns: columnInputs(request, dataset),
        keyColumn: request.input('key_column') || null,
      })
      session.flash('success', i18n.t('datasets.flash.importing'))
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error
      session.flash('error', errorMessage(ctx, error))
    }
    return response.redirect(url)
  }

  async settings(ctx: HttpContext) {
    const { bouncer, request, response, access, tenant, params, session, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const url = `${workspaceLayout(ctx, 'datasets').base}/datasets/${params.id}`
    const dataset = await findDataset(tenant, params.id)
    if (!dataset) throw new lucidErrors.E_ROW_NOT_FOUND()
    try {
      await updateDatasetSettings(tenant, dataset.id, {
        name: request.input('name') ?? undefined,
        description: request.input('description') ?? undefined,
        columns: columnInputs(request, dataset),
        answersCustomers: !!request.input('answers_customers'),
      })
      if (dataset.source && request.input('refresh') !== undefined) {
        await updateRefresh(tenant, dataset.id, request.input('refresh'))
      }
      session.flash('success', i18n.t('datasets.flash.saved'))
    } catch (error) {
      if (!(error instanceof DatasetError)) throw error
      session.flash('error', errorMessage(ctx, error))
    }
    return response.redirect(`${url}#settings`)
  }

  async editRow(ctx: HttpContext) {
    const { bouncer, view, access, tenant, params } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const dataset = await findDataset(tenant, params.id)
    if (!dataset || dataset.status === 'draft') throw new lucidErrors.E_ROW_NOT_FOUND()
    const row = await findDatasetRow(tenant, dataset, Number(params.rowId))
    if (!row) throw new lucidErrors.E_ROW_NOT_FOUND()
    const layout = workspaceLayout(ctx, 'datasets')
    return view.render('data_engine::datasets/row', {
      ...layout,
      ...assets(),
      dataset,
      row,
      fields: dataset.columns.map((column, index) => ({
        column,
        index,
        value: row.values[column.name] === null ? '' : String(row.values[column.name]),
      })),
      url: `${layout.base}/datasets/${dataset.id}`,
    })
  }

  async updateRow(ctx: HttpContext) {
    const { bouncer, request, response, access, tenant, params, session, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const dataset = await findDataset(tenant, params.id)
    if (!dataset || dataset.status === 'draft') throw new lucidErrors.E_ROW_NOT_FOUND()
    const rowId = Number(params.rowId)
    if (!(await findDatasetRow(tenant, dataset, rowId))) throw new lucidErrors.E_ROW_NOT_FOUND()
    const url = `${workspaceLayout(ctx, 'datasets').base}/datasets/${dataset.id}`
    const values: Record<string, unknown> = {}
    dataset.columns.forEach((column, index) => {
      values[column.name] =
        column.type === 'boolean'
          ? request.input(`v${index}`) === 'yes'
            ? true
            : request.input(`v${index}`) === 'no'
              ? false
              : null
          : request.input(`v${index}`, '')
    })
    const outcome = await editRow(tenant, dataset, rowId, values)
    if (!outcome.ok) {
      keepInput(ctx)
      const bag: Record<string, string[]> = {}
      for (const error of outcome.errors) {
        const index = dataset.columns.findIndex((column) => column.name === error.column)
        bag[`v${index}`] = [error.message]
      }
      session.flash('inputErrorsBag', bag)
      return response.redirect(`${url}/rows/${rowId}`)
    }
    session.flash('success', i18n.t('datasets.flash.row_saved'))
    return response.redirect(url)
  }

  async destroy(ctx: HttpContext) {
    const { bouncer, response, access, tenant, params, session, i18n } = ctx
    await bouncer.with('DatasetPolicy').authorize('manage', access)
    const dataset = await findDataset(tenant, params.id)
    if (!dataset) throw new lucidErrors.E_ROW_NOT_FOUND()
    await deleteDataset(tenant, dataset.id)
    session.flash('success', i18n.t('datasets.flash.deleted', { name: dataset.name }))
    return response.redirect(`${workspaceLayout(ctx, 'datasets').base}/datasets`)
  }
}

function assets() {
  return { stylesheets: ['/assets/datasets.css'], scripts: [] as string[] }
}

function errorMessage(ctx: HttpContext, error: DatasetError) {
  const key = `datasets.errors.${error.code}`
  return ctx.i18n.hasMessage(key) ? ctx.i18n.t(key) : error.message
}

/** How often a CSV address is read again, as the forms offer it. */
function refreshOptions(ctx: HttpContext) {
  return [
    { value: 'never', label: ctx.i18n.t('datasets.source.every.never') },
    ...REFRESH_CHOICES.map((minutes) => ({
      value: String(minutes),
      label: ctx.i18n.t(`datasets.source.every.m${minutes}`),
    })),
  ]
}

function sizeLabel(bytes: number) {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** Column settings posted by the columns form: col[i][...] by position. */
function columnInputs(request: HttpContext['request'], dataset: Dataset) {
  const posted = request.input('col', []) as Array<Record<string, string>> | Record<string, any>
  const list = Array.isArray(posted) ? posted : Object.values(posted)
  return dataset.columns.map((column, index) => {
    const given = (list[index] ?? {}) as Record<string, string>
    return {
      name: column.name,
      type: given.type,
      currency: given.currency,
      filterable: given.filterable === 'on',
      searchable: given.searchable === 'on',
      shown: given.shown === 'on',
      synonyms: given.synonyms ?? '',
    }
  })
}

function presentImport(job: DatasetImport | null) {
  if (!job) return null
  const percent =
    job.status === 'done'
      ? 100
      : job.total
        ? Math.min(99, Math.floor((job.done / Math.max(job.total, 1)) * 100))
        : null
  return { ...job, percent }
}

function presentRow(dataset: Dataset, shown: DatasetColumn[], row: RowRecord) {
  return {
    id: row.id,
    cells: shown.map((column) => ({
      column,
      text: displayValue(column, row.values[column.name]),
      raw: row.values[column.name],
    })),
    title: String(row.values[dataset.columns[0]?.name] ?? row.id),
  }
}

const OP_SIGNS: Record<FilterOp, string> = {
  eq: '=',
  neq: '≠',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
  between: '–',
  contains: '∋',
  in: '∈',
}

/** "2 bedrooms · JLT · ≤ AED 150,000": a filter as a person reads it. */
export function chipLabel(ctx: HttpContext, dataset: Dataset, filter: Filter) {
  const column = dataset.columns.find((c) => c.name === filter.column)!
  const show = (value: unknown) => displayValue(column, value as any)
  switch (filter.op) {
    case 'eq':
      if (column.type === 'boolean') {
        return filter.value ? column.name : ctx.i18n.t('datasets.chips.not', { name: column.name })
      }
      if (column.type === 'choice') return show(filter.value)
      return `${column.name}: ${show(filter.value)}`
    case 'in':
      return (filter.value as unknown[]).map(show).join(ctx.i18n.t('datasets.chips.or'))
    case 'contains':
      return `${column.name} ∋ ${show(filter.value)}`
    case 'between': {
      const [low, high] = filter.value as unknown[]
      return `${column.name} ${show(low)}–${show(high)}`
    }
    default:
      return `${column.name} ${OP_SIGNS[filter.op]} ${show(filter.value)}`
  }
}

function droppedLabel(ctx: HttpContext, _dataset: Dataset, dropped: DroppedFilter) {
  return ctx.i18n.t(`datasets.dropped.${dropped.reason}`, {
    text: dropped.text,
    column: dropped.column ?? '',
  })
}

/** The row browser's one filter (column, operator, value) from the address. */
function browseFilter(dataset: Dataset, qs: Record<string, any>) {
  const form = { col: String(qs.col ?? ''), op: String(qs.op ?? 'eq'), val: String(qs.val ?? '') }
  if (!form.col || form.val === '') return { filter: null as Filter | null, form, error: null }
  const op = FILTER_OPS.includes(form.op as FilterOp) ? (form.op as FilterOp) : 'eq'
  const value = op === 'between' || op === 'in' ? form.val.split(/\s*(?:,|–|\.\.)\s*/) : form.val
  const checked = checkFilter(dataset.columns, { column: form.col, op, value })
  if (isDropped(checked)) return { filter: null, form, error: checked.reason }
  return { filter: checked, form, error: null }
}
