import type { HttpContext } from '@adonisjs/core/http'
import { ApiError, sendJson, validateApiBody } from '#app/http/api/index'
import {
  DatasetError,
  createDataset,
  deleteDataset,
  findDataset,
  listDatasets,
  writeRows,
  type Dataset,
} from '../../services/dataset_service.js'
import { rowsAfter } from '../../services/row_table.js'
import { searchDataset } from '../../services/dataset_search.js'
import {
  createDatasetBody,
  searchBody,
  writeRowsBody,
} from '../../validators/dataset_api_validator.js'

const DEFAULT_LIMIT = 25
const MAX_LIMIT = 100

/**
 * /api/v1/datasets: datasets made and filled by a program (n8n, Zapier, a
 * shop's sync), read back a page at a time, and searched in natural
 * language exactly as the workspace searches them. Another tenant's dataset
 * is not found (the queries run in this tenant's schema).
 */
export default class DatasetsApiController {
  async index(ctx: HttpContext) {
    const { limit, after } = pageOf(ctx, (cursor) => {
      const [createdAt, id] = cursor as [string, string]
      if (typeof createdAt !== 'string' || typeof id !== 'string') return null
      return { createdAt, id }
    })
    const page = await listDatasets(ctx.tenant, { limit, after })
    const last = page.data.at(-1)
    return sendJson(ctx, 200, {
      data: page.data.map(presentDataset),
      next_cursor:
        page.more && last ? encode([new Date(last.createdAt).toISOString(), last.id]) : null,
    })
  }

  async store(ctx: HttpContext) {
    const data = await validateApiBody(ctx, createDatasetBody)
    const dataset = await apiCall(() =>
      createDataset(ctx.tenant, {
        name: data.name,
        description: data.description ?? null,
        keyColumn: data.key_column ?? null,
        columns: data.columns ?? null,
        sampleRows: (data.rows ?? []) as Record<string, unknown>[],
      })
    )
    let written = null
    if (data.rows?.length) {
      written = await apiCall(() =>
        writeRows(ctx.tenant, dataset, data.rows as Record<string, unknown>[])
      )
    }
    const fresh = (await findDataset(ctx.tenant, dataset.id))!
    ctx.response.header('Location', `/api/v1/datasets/${dataset.id}`)
    return sendJson(ctx, 201, {
      ...presentDataset(fresh),
      ...(written
        ? { inserted: written.inserted, updated: written.updated, errors: written.errors }
        : {}),
    })
  }

  async show(ctx: HttpContext) {
    return sendJson(ctx, 200, presentDataset(await datasetOf(ctx)))
  }

  async destroy(ctx: HttpContext) {
    const dataset = await datasetOf(ctx)
    await deleteDataset(ctx.tenant, dataset.id)
    return ctx.response.status(204).send('')
  }

  async writeRows(ctx: HttpContext) {
    const dataset = await datasetOf(ctx)
    const data = await validateApiBody(ctx, writeRowsBody)
    const result = await apiCall(() =>
      writeRows(ctx.tenant, dataset, data.rows as Record<string, unknown>[])
    )
    return sendJson(ctx, 200, result)
  }

  async rows(ctx: HttpContext) {
    const dataset = await datasetOf(ctx)
    const { limit, after } = pageOf(ctx, (cursor) => {
      const [id] = cursor as [number]
      return Number.isSafeInteger(id) ? id : null
    })
    const page = await ctx.tenant.transaction((trx) =>
      rowsAfter(trx, dataset.rowTable, dataset.columns, after ?? 0, limit)
    )
    const last = page.rows.at(-1)
    return sendJson(ctx, 200, {
      data: page.rows.map((row) => ({ _id: row.id, ...row.values })),
      next_cursor: page.more && last ? encode([last.id]) : null,
    })
  }

  async search(ctx: HttpContext) {
    const dataset = await datasetOf(ctx)
    const data = await validateApiBody(ctx, searchBody)
    const result = await searchDataset(ctx.tenant, dataset, data.query, {
      k: data.k,
      filters: data.filters ?? [],
      // With a chat model configured it proposes filters too (none: offline only).
      useModel: true,
    })
    return sendJson(ctx, 200, {
      mode: result.mode,
      parsed_filters: result.parsedFilters,
      filters: result.filters,
      dropped: result.dropped.map((dropped) => ({
        text: dropped.text,
        reason: dropped.reason,
        column: dropped.column,
      })),
      results: result.results.map((hit) => ({
        row: { _id: hit.row.id, ...hit.row.values },
        score: Number(hit.score.toFixed(6)),
      })),
    })
  }
}

function presentDataset(dataset: Dataset) {
  return {
    id: dataset.id,
    name: dataset.name,
    description: dataset.description,
    key_column: dataset.keyColumn,
    status: dataset.status,
    row_count: dataset.rowCount,
    size_bytes: dataset.sizeBytes,
    columns: dataset.columns.map((column) => ({
      name: column.name,
      type: column.type,
      currency: column.currency,
      filterable: column.filterable,
      searchable: column.searchable,
      shown: column.shown,
      synonyms: column.synonyms,
    })),
    created_at: new Date(dataset.createdAt).toISOString(),
    updated_at: new Date(dataset.updatedAt).toISOString(),
  }
}

async function datasetOf(ctx: HttpContext) {
  const dataset = await findDataset(ctx.tenant, String(ctx.params.id))
  if (!dataset) throw new ApiError(404, 'not_found', 'No such dataset')
  return dataset
}

async function apiCall<T>(work: () => Promise<T>) {
  try {
    return await work()
  } catch (error) {
    if (error instanceof DatasetError) {
      const status = error.status ?? 422
      throw new ApiError(
        status,
        error.code ?? 'invalid',
        error.message,
        error.field ? { [error.field]: [error.message] } : undefined
      )
    }
    throw error
  }
}

function encode(value: unknown) {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function pageOf<T>(ctx: HttpContext, read: (cursor: unknown[]) => T | null) {
  const qs = ctx.request.qs()
  const fields: Record<string, string[]> = {}
  let limit = DEFAULT_LIMIT
  if (qs.limit !== undefined && qs.limit !== '') {
    const parsed = Number(qs.limit)
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_LIMIT) {
      fields.limit = [`The limit must be a whole number from 1 to ${MAX_LIMIT}`]
    } else limit = parsed
  }
  let after: T | null = null
  if (qs.cursor) {
    try {
      const value = JSON.parse(Buffer.from(String(qs.cursor), 'base64url').toString('utf8'))
      after = Array.isArray(value) ? read(value) : null
    } catch {
      after = null
    }
    if (after === null) fields.cursor = ['The cursor is not one this API returned']
  }
  if (Object.keys(fields).length) {
    throw new ApiError(422, 'validation_failed', 'The request is invalid', fields)
  }
  return { limit, after }
}
