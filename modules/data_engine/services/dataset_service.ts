import { randomBytes } from 'node:crypto'
import drive from '@adonisjs/drive/services/main'
import { Exception } from '@adonisjs/core/exceptions'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import { limitGuard, usageChanged } from '#modules/billing/index'
import {
  COLUMN_TYPES,
  ValueError,
  coerceValue,
  defaultColumn,
  inferColumn,
  type ColumnType,
  type DatasetColumn,
  type TypedValue,
} from './column_types.js'
import { SheetError, formatOf, readSheet, type SheetFormat } from './file_reader.js'
import {
  browseRows,
  buildSecondaryIndexes,
  buildVectorIndex,
  checkTable,
  dropSecondaryIndexes,
  createRowTable,
  deleteRow,
  findRow,
  updateRow,
  prepareRows,
  writeRows as writeRowBatch,
  type BrowseOptions,
  dropRowTable,
  syncIndexes,
  tableStats,
  upsertRows,
  type PreparedRow,
} from './row_table.js'

/** A request about datasets the data engine refuses; `field` names the input at fault. */
export class DatasetError extends Exception {
  constructor(
    code: string,
    message: string,
    readonly field: string | null = null,
    status = 422
  ) {
    super(message, { code, status })
  }
}

export type DatasetStatus = 'draft' | 'importing' | 'ready' | 'failed'

export interface Dataset {
  id: string
  name: string
  description: string
  columns: DatasetColumn[]
  keyColumn: string | null
  rowTable: string
  status: DatasetStatus
  rowCount: number
  sizeBytes: number
  /** The assistant answers customers from its rows (a question that matches it). */
  answersCustomers: boolean
  /** A dataset read from a CSV address: the address and its refreshes. */
  source: DatasetSource | null
  createdAt: Date
  updatedAt: Date
}

export interface DatasetSource {
  url: string
  /** How often it is read again, in minutes; null: only when asked. */
  refreshMinutes: number | null
  nextRefreshAt: Date | null
  refreshedAt: Date | null
  /** Why the last refresh failed; null when it went well. */
  error: string | null
}

export interface RowError {
  row: number
  column: string | null
  message: string
}

export interface DatasetImport {
  id: string
  datasetId: string
  source: 'csv' | 'xlsx' | 'api'
  fileName: string | null
  status: 'queued' | 'processing' | 'done' | 'failed'
  total: number | null
  done: number
  inserted: number
  updated: number
  errorCount: number
  errors: RowError[]
  failure: string | null
  startedAt: Date | null
  finishedAt: Date | null
}

export const MAX_COLUMNS = 60
export const MAX_FILE_BYTES = 50 * 1024 * 1024
/** Rows read to guess the columns' types. */
const SAMPLE_ROWS = 500
/** Errors kept per import (all are counted). */
const MAX_ERRORS_KEPT = 500
/** Rows per upsert statement. */
const BATCH_ROWS = 2000
/** Rows an import writes per statement: fewer round trips than the API's batches. */
const IMPORT_BATCH_ROWS = 5000
/** Distinct values of a choice column kept for the query parser. */
const MAX_CHOICES = 200
/** Rows one API call may send. */
export const MAX_API_ROWS = 5000

export function datasetFrom(row: any): Dataset {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    columns: row.columns,
    keyColumn: row.key_column,
    rowTable: row.row_table,
    status: row.status,
    rowCount: row.row_count,
    sizeBytes: Number(row.size_bytes),
    answersCustomers: row.answers_customers === true,
    source: row.source_url
      ? {
          url: row.source_url,
          refreshMinutes: row.refresh_minutes ?? null,
          nextRefreshAt: row.next_refresh_at ?? null,
          refreshedAt: row.refreshed_at ?? null,
          error: row.refresh_error ?? null,
        }
      : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

function importFrom(row: any): DatasetImport {
  return {
    id: row.id,
    datasetId: row.dataset_id,
    source: row.source,
    fileName: row.file_name,
    status: row.status,
    total: row.total,
    done: row.done,
    inserted: row.inserted,
    updated: row.updated,
    errorCount: row.error_count,
    errors: row.errors ?? [],
    failure: row.failure,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  }
}

/** A statement with bindings that may be null (Lucid's types say they may not; pg says they may). */
function raw(trx: TransactionClientContract, sql: string, bindings: unknown[] = []) {
  return trx.rawQuery(sql, bindings as any[])
}

/** Refuses (PlanLimitError, 402) what would take the tenant past its plan's storage. */
async function ensureStorage(tenant: TenantContext, adding: number) {
  const storage = await limitGuard(tenant.id, 'knowledge_bytes')
  await storage.ensure({ adding })
}

export function notFound() {
  return new DatasetError('not_found', 'No such dataset.', null, 404)
}

function newRowTable() {
  return `dsr_${randomBytes(8).toString('hex')}`
}

function cleanName(name: unknown) {
  const text = String(name ?? '').trim()
  if (!text) throw new DatasetError('invalid', 'Give the dataset a name.', 'name')
  if (text.length > 120)
    throw new DatasetError('invalid', 'Names are 120 characters at most.', 'name')
  return text
}

export async function listDatasets(
  tenant: TenantContext,
  options: { limit?: number; after?: { createdAt: string; id: string } | null } = {}
) {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 200)
  const bindings: unknown[] = []
  let where = ''
  if (options.after) {
    where = 'where (created_at, id) < (?::timestamptz, ?::uuid)'
    bindings.push(options.after.createdAt, options.after.id)
  }
  const result = await tenant.transaction((trx) =>
    raw(
      trx,
      `select * from datasets ${where} order by created_at desc, id desc limit ${limit + 1}`,
      bindings as any[]
    )
  )
  const rows: Dataset[] = result.rows.map(datasetFrom)
  return { data: rows.slice(0, limit), more: rows.length > limit }
}

export async function findDataset(tenant: TenantContext, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null
  const result = await tenant.transaction((trx) =>
    raw(trx, 'select * from datasets where id = ?', [id])
  )
  return result.rows[0] ? datasetFrom(result.rows[0]) : null
}

export async function findDatasetOrFail(tenant: TenantContext, id: string) {
  const dataset = await findDataset(tenant, id)
  if (!dataset) throw notFound()
  return dataset
}

export async function latestImport(tenant: TenantContext, datasetId: string) {
  const result = await tenant.transaction((trx) =>
    raw(
      trx,
      'select * from dataset_imports where dataset_id = ? order by created_at desc limit 1',
      [datasetId]
    )
  )
  return result.rows[0] ? importFrom(result.rows[0]) : null
}

export async function findImport(tenant: TenantContext, importId: string) {
  const result = await tenant.transaction((trx) =>
    raw(trx, 'select * from dataset_imports where id = ?', [importId])
  )
  return result.rows[0] ? importFrom(result.rows[0]) : null
}

function fileKey(tenant: TenantContext, datasetId: string, importId: string, format: SheetFormat) {
  return `datasets/${tenant.id}/${datasetId}/${importId}.${format}`
}

/** Columns guessed from a sheet's first rows. */
async function inferFromSheet(bytes: Buffer, format: SheetFormat) {
  let headers: string[] = []
  const samples: Record<string, unknown>[] = []
  for await (const item of readSheet(bytes, format)) {
    if ('headers' in item) headers = item.headers
    else samples.push(item.values)
    if (samples.length >= SAMPLE_ROWS) break
  }
  if (headers.length === 0) throw new SheetError('The file has no header row.')
  if (headers.length > MAX_COLUMNS) {
    throw new SheetError(`At most ${MAX_COLUMNS} columns; this file has ${headers.length}.`)
  }
  return inferColumns(headers, samples)
}

export function inferColumns(headers: string[], samples: Record<string, unknown>[]) {
  return headers.map((name, i) =>
    defaultColumn(
      name,
      `c${i + 1}`,
      inferColumn(
        name,
        samples.map((row) => row[name])
      )
    )
  )
}

/**
 * Step one of an upload: the file is kept and its columns guessed; the
 * dataset waits as a draft until the person confirms or corrects them.
 */
export async function createDraftFromFile(
  tenant: TenantContext,
  input: {
    name: string
    description?: string | null
    file: { bytes: Buffer; filename: string }
    createdByUserId?: string | null
  }
) {
  const name = cleanName(input.name)
  const format = formatOf(input.file.filename)
  if (!format) throw new DatasetError('unsupported_type', 'Upload a CSV or XLSX file.', 'file')
  if (input.file.bytes.length > MAX_FILE_BYTES) {
    throw new DatasetError('too_large', 'Files are 50 MB at most.', 'file', 413)
  }
  // Stored rows take about what the sheet did (words, vectors and indexes
  // added, quoting and repetition gone); the plan's storage is checked
  // against that, and measured exactly once imported.
  await ensureStorage(tenant, input.file.bytes.length)
  let columns: DatasetColumn[]
  try {
    columns = await inferFromSheet(input.file.bytes, format)
  } catch (error) {
    if (error instanceof SheetError) throw new DatasetError('unreadable', error.message, 'file')
    throw error
  }
  const made = await tenant.transaction(async (trx) => {
    const dataset = await raw(
      trx,
      `insert into datasets (name, description, columns, row_table, status, created_by_user_id)
       values (?, ?, ?::jsonb, ?, 'draft', ?) returning *`,
      [
        name,
        String(input.description ?? '').trim(),
        JSON.stringify(columns),
        newRowTable(),
        input.createdByUserId ?? null,
      ]
    )
    const row = dataset.rows[0]
    const imported = await raw(
      trx,
      `insert into dataset_imports (dataset_id, source, file_name) values (?, ?, ?) returning *`,
      [row.id, format, input.file.filename.slice(0, 255)]
    )
    return { dataset: datasetFrom(row), importId: imported.rows[0].id as string }
  })
  const key = fileKey(tenant, made.dataset.id, made.importId, format)
  await drive.use().put(key, input.file.bytes)
  await tenant.transaction((trx) =>
    raw(trx, 'update dataset_imports set file_key = ? where id = ?', [key, made.importId])
  )
  return made.dataset
}

export interface ColumnInput {
  name: string
  type?: string
  currency?: string | null
  filterable?: boolean
  searchable?: boolean
  shown?: boolean
  synonyms?: string[] | string
}

export function parseSynonyms(value: string[] | string | undefined | null) {
  const list = Array.isArray(value) ? value : String(value ?? '').split(/[,،\n]/)
  return [...new Set(list.map((word) => String(word).trim()).filter(Boolean))]
    .slice(0, 30)
    .map((word) => word.slice(0, 60))
}

/** Settings a person gives a column, over what was there (types only while a draft). */
function applyColumnInput(
  column: DatasetColumn,
  input: ColumnInput | undefined,
  typeEditable: boolean
): DatasetColumn {
  if (!input) return column
  const type =
    typeEditable && input.type && COLUMN_TYPES.includes(input.type as ColumnType)
      ? (input.type as ColumnType)
      : column.type
  const currency =
    type === 'money'
      ? input.currency !== undefined
        ? String(input.currency ?? '')
            .trim()
            .toUpperCase()
            .slice(0, 3) || null
        : column.currency
      : null
  return {
    ...column,
    type,
    currency,
    filterable: input.filterable ?? column.filterable,
    searchable: input.searchable ?? column.searchable,
    shown: input.shown ?? column.shown,
    synonyms: input.synonyms !== undefined ? parseSynonyms(input.synonyms) : column.synonyms,
  }
}

function checkKeyColumn(columns: DatasetColumn[], key: string | null | undefined) {
  const name = String(key ?? '').trim()
  if (!name) return null
  if (!columns.some((column) => column.name === name)) {
    throw new DatasetError('invalid', `No column named “${name}” for the key.`, 'key_column')
  }
  return name
}

/**
 * Step two of an upload: the columns as the person set them; the row table
 * is made and the import queued.
 */
export async function confirmDraft(
  tenant: TenantContext,
  datasetId: string,
  input: { columns: ColumnInput[]; keyColumn?: string | null; description?: string | null }
) {
  const dataset = await findDatasetOrFail(tenant, datasetId)
  if (dataset.status !== 'draft') {
    throw new DatasetError('not_draft', 'This dataset was imported already.', null, 409)
  }
  const byName = new Map(input.columns.map((column) => [column.name, column]))
  const columns = dataset.columns.map((column) =>
    applyColumnInput(column, byName.get(column.name), true)
  )
  const keyColumn = checkKeyColumn(columns, input.keyColumn)
  const job = await tenant.transaction(async (trx) => {
    await createRowTable(trx, dataset.rowTable, columns)
    await raw(
      trx,
      `update datasets set columns = ?::jsonb, key_column = ?, status = 'importing',
              description = coalesce(?, description), updated_at = now() where id = ?`,
      [JSON.stringify(columns), keyColumn, input.description ?? null, dataset.id]
    )
    const pending = await raw(
      trx,
      `select id from dataset_imports where dataset_id = ? and status = 'queued'
        order by created_at desc limit 1`,
      [dataset.id]
    )
    return pending.rows[0]?.id as string | undefined
  })
  if (job) await queueImport(tenant, job)
  return (await findDataset(tenant, dataset.id))!
}

async function queueImport(tenant: TenantContext, importId: string) {
  const { default: ImportDatasetJob } = await import('../jobs/import_dataset_job.js')
  await dispatchTenantJob(
    ImportDatasetJob,
    tenant,
    { importId },
    { jobId: `dataset-import-${tenant.slug}-${importId}` }
  )
}

/** Rows of a sheet or of an API call, typed by the columns, with the errors found. */
export function prepareRow(
  columns: DatasetColumn[],
  keyColumn: string | null,
  values: Record<string, unknown>,
  line: number,
  errors: RowError[]
): PreparedRow | null {
  const typed: Record<string, TypedValue> = {}
  let failed = false
  for (const column of columns) {
    try {
      typed[column.name] = coerceValue(column, values[column.name])
    } catch (error) {
      if (!(error instanceof ValueError)) throw error
      failed = true
      errors.push({
        row: line,
        column: column.name,
        message: `“${String(values[column.name]).slice(0, 60)}” is not ${error.message}`,
      })
    }
  }
  if (failed) return null
  let key: string | null = null
  if (keyColumn) {
    const value = typed[keyColumn]
    if (value === null || value === undefined || value === '') {
      errors.push({ row: line, column: keyColumn, message: 'The key column is empty.' })
      return null
    }
    key = String(value)
  }
  return { key, values: typed }
}

/**
 * Reads an upload into its dataset: rows typed, written in batches of
 * upserts, progress and errors saved after each batch so the page can
 * show them as they come. Safe to run twice: a finished import is left
 * alone and rows are upserted by key.
 */
/** Where an import's time went, in milliseconds (bench:data prints it). */
export interface ImportTimings {
  /** Reading the sheet and typing its values. */
  read: number
  /** Search words and vectors. */
  prepare: number
  /** Waiting for row writes the reading had caught up with. */
  writeWait: number
  /** Indexes, choices and the size, after the rows. */
  finish: number
}

export async function runImport(
  tenant: TenantContext,
  importId: string,
  options: { timings?: ImportTimings } = {}
) {
  const timings = options.timings ?? { read: 0, prepare: 0, writeWait: 0, finish: 0 }
  const clock = () => performance.now()
  const job = await findImport(tenant, importId)
  if (!job || job.status === 'done' || job.status === 'failed') return job
  const dataset = await findDatasetOrFail(tenant, job.datasetId)
  const format = job.source as SheetFormat
  const bytes = Buffer.from(await drive.use().getBytes((await fileKeyOf(tenant, importId))!))
  const total = countLines(bytes, format)
  await tenant.transaction((trx) =>
    raw(
      trx,
      `update dataset_imports set status = 'processing', started_at = now(), total = ?,
              done = 0, inserted = 0, updated = 0, error_count = 0, errors = '[]' where id = ?`,
      [total, importId]
    )
  )
  // Into an empty table, the full-text and filter indexes are built at the end.
  const deferred = await tenant.transaction(async (trx) => {
    const empty = await raw(
      trx,
      `select not exists (select 1 from ${checkTable(dataset.rowTable)}) as empty`
    )
    if (!empty.rows[0].empty) return false
    await dropSecondaryIndexes(trx, dataset.rowTable, dataset.columns)
    return true
  })
  const errors: RowError[] = []
  let errorCount = 0
  let done = 0
  let inserted = 0
  let updated = 0
  let batch: PreparedRow[] = []
  // One batch is written while the next is read and embedded.
  let writing: Promise<void> = Promise.resolve()
  const flush = async () => {
    let at = clock()
    const prepared = await prepareRows(dataset.columns, batch)
    timings.prepare += clock() - at
    batch = []
    at = clock()
    await writing
    timings.writeWait += clock() - at
    const progress = { done, errorCount, errors: JSON.stringify(errors) }
    writing = tenant.transaction(async (trx) => {
      const written = await writeRowBatch(trx, dataset.rowTable, dataset.columns, prepared)
      inserted += written.inserted
      updated += written.updated
      await raw(
        trx,
        `update dataset_imports set done = ?, inserted = ?, updated = ?, error_count = ?,
                errors = ?::jsonb where id = ?`,
        [progress.done, inserted, updated, progress.errorCount, progress.errors, importId]
      )
    })
    // Awaited at the next batch or the end; marked handled so a failure waits for that.
    writing.catch(() => {})
  }
  try {
    let readFrom = clock()
    for await (const item of readSheet(bytes, format)) {
      if ('headers' in item) continue
      done++
      const found: RowError[] = []
      const row = prepareRow(dataset.columns, dataset.keyColumn, item.values, item.line, found)
      if (found.length) {
        errorCount++
        if (errors.length < MAX_ERRORS_KEPT) errors.push(...found)
      }
      if (row) batch.push(row)
      if (batch.length >= IMPORT_BATCH_ROWS) {
        timings.read += clock() - readFrom
        await flush()
        readFrom = clock()
      }
    }
    timings.read += clock() - readFrom
    await flush()
    let at = clock()
    await writing
    timings.writeWait += clock() - at
    at = clock()
    await finishDataset(tenant, dataset)
    timings.finish += clock() - at
    await tenant.transaction((trx) =>
      raw(
        trx,
        `update dataset_imports set status = 'done', finished_at = now(), total = ? where id = ?`,
        [done, importId]
      )
    )
  } catch (error) {
    const message =
      error instanceof SheetError ? error.message : 'The import stopped on an unexpected error.'
    // Rows written before the failure stay searchable, with their indexes.
    if (deferred) {
      await writing.catch(() => {})
      await tenant
        .transaction((trx) => buildSecondaryIndexes(trx, dataset.rowTable, dataset.columns))
        .catch(() => {})
    }
    await failImport(tenant, importId, message)
    if (!(error instanceof SheetError)) throw error
  }
  return findImport(tenant, importId)
}

export async function failImport(tenant: TenantContext, importId: string, message: string) {
  await tenant.transaction(async (trx) => {
    const result = await raw(
      trx,
      `update dataset_imports set status = 'failed', failure = ?, finished_at = now()
        where id = ? returning dataset_id`,
      [message, importId]
    )
    const datasetId = result.rows[0]?.dataset_id
    if (datasetId) {
      await raw(
        trx,
        `update datasets set status = case when row_count > 0 then 'ready' else 'failed' end,
                updated_at = now() where id = ?`,
        [datasetId]
      )
    }
  })
}

/**
 * A new import of a whole sheet into a dataset that has its columns (a
 * refresh from its address): the file kept, the import row queued for
 * runImport. Returns the import's id.
 */
export async function addSheetImport(
  tenant: TenantContext,
  dataset: Dataset,
  file: { bytes: Buffer; filename: string }
) {
  const format = formatOf(file.filename)
  if (!format) throw new DatasetError('unsupported_type', 'Only CSV or XLSX sheets.', 'file')
  if (file.bytes.length > MAX_FILE_BYTES) {
    throw new DatasetError('too_large', 'Files are 50 MB at most.', 'file', 413)
  }
  const importId = await tenant.transaction(async (trx) => {
    const imported = await raw(
      trx,
      `insert into dataset_imports (dataset_id, source, file_name) values (?, ?, ?) returning id`,
      [dataset.id, format, file.filename.slice(0, 255)]
    )
    return imported.rows[0].id as string
  })
  const key = fileKey(tenant, dataset.id, importId, format)
  await drive.use().put(key, file.bytes)
  await tenant.transaction((trx) =>
    raw(trx, 'update dataset_imports set file_key = ? where id = ?', [key, importId])
  )
  return importId
}

async function fileKeyOf(tenant: TenantContext, importId: string) {
  const result = await tenant.transaction((trx) =>
    raw(trx, 'select file_key from dataset_imports where id = ?', [importId])
  )
  return result.rows[0]?.file_key as string | null
}

/** Data rows in a file, roughly (lines of a CSV less its header), for the progress bar. */
function countLines(bytes: Buffer, format: SheetFormat) {
  if (format !== 'csv') return null
  let lines = 0
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++
  if (bytes.length && bytes[bytes.length - 1] !== 10) lines++
  return Math.max(lines - 1, 0)
}

/**
 * After rows changed: the vector index, the choice values the query parser
 * reads, the row count and size.
 */
export async function finishDataset(tenant: TenantContext, dataset: Dataset) {
  await tenant.transaction(async (trx) => {
    await buildSecondaryIndexes(trx, dataset.rowTable, dataset.columns)
    await buildVectorIndex(trx, dataset.rowTable)
    const columns = await refreshChoices(trx, dataset)
    const stats = await tableStats(trx, dataset.rowTable)
    await raw(
      trx,
      `update datasets set status = 'ready', row_count = ?, size_bytes = ?, columns = ?::jsonb,
              updated_at = now() where id = ?`,
      [stats.rows, stats.bytes, JSON.stringify(columns), dataset.id]
    )
  })
  await usageChanged(tenant.id, 'knowledge_bytes')
}

async function refreshChoices(trx: TransactionClientContract, dataset: Dataset) {
  const columns: DatasetColumn[] = []
  for (const column of dataset.columns) {
    if (column.type === 'text' && column.filterable) {
      columns.push({ ...column, choices: await listItems(trx, dataset.rowTable, column.slot) })
      continue
    }
    if (column.type !== 'choice') {
      columns.push(column)
      continue
    }
    const result = await raw(
      trx,
      `select min(${column.slot}) as value from ${dataset.rowTable}
        where ${column.slot} is not null group by lower(${column.slot})
        order by count(*) desc limit ${MAX_CHOICES}`
    )
    columns.push({ ...column, choices: result.rows.map((row: any) => row.value as string).sort() })
  }
  return columns
}

/**
 * The items of a text column holding short comma-separated lists ("sea
 * view, balcony, gym"), so "with sea view" becomes a filter; none for a
 * column of sentences.
 */
async function listItems(trx: TransactionClientContract, table: string, slot: string) {
  const share = await raw(
    trx,
    `select count(*) filter (where ${slot} like '%,%')::float / greatest(count(${slot}), 1) as listy
       from (select ${slot} from ${table} limit 2000) sample`
  )
  if (Number(share.rows[0]?.listy ?? 0) < 0.2) return []
  const items = await raw(
    trx,
    `select min(item) as value from (
       select trim(regexp_split_to_table(${slot}, ',')) as item from (select ${slot} from ${table} limit 5000) sample
     ) items where item <> '' and length(item) <= 40 group by lower(item) order by count(*) desc limit ${MAX_CHOICES + 1}`
  )
  if (items.rows.length > MAX_CHOICES) return []
  return items.rows.map((row: any) => row.value as string).sort()
}

/**
 * A dataset made by API: columns given, or guessed from the first rows
 * sent with it.
 */
export async function createDataset(
  tenant: TenantContext,
  input: {
    name: string
    description?: string | null
    keyColumn?: string | null
    columns?: ColumnInput[] | null
    sampleRows?: Record<string, unknown>[]
    createdByUserId?: string | null
  }
) {
  const name = cleanName(input.name)
  let columns: DatasetColumn[]
  if (input.columns && input.columns.length) {
    if (input.columns.length > MAX_COLUMNS) {
      throw new DatasetError('invalid', `At most ${MAX_COLUMNS} columns.`, 'columns')
    }
    const names = new Set<string>()
    columns = input.columns.map((given, i) => {
      const columnName = String(given.name ?? '')
        .trim()
        .slice(0, 100)
      if (!columnName) throw new DatasetError('invalid', 'Every column needs a name.', 'columns')
      if (names.has(columnName.toLowerCase())) {
        throw new DatasetError('invalid', `Two columns are named “${columnName}”.`, 'columns')
      }
      names.add(columnName.toLowerCase())
      if (given.type && !COLUMN_TYPES.includes(given.type as ColumnType)) {
        throw new DatasetError(
          'invalid',
          `“${given.type}” is not a column type (${COLUMN_TYPES.join(', ')}).`,
          'columns'
        )
      }
      const inferred = inferColumn(
        columnName,
        (input.sampleRows ?? []).map((row) => row[columnName])
      )
      return applyColumnInput(defaultColumn(columnName, `c${i + 1}`, inferred), given, true)
    })
  } else {
    const rows = input.sampleRows ?? []
    if (rows.length === 0) {
      throw new DatasetError('invalid', 'Give the columns, or rows to guess them from.', 'columns')
    }
    const headers: string[] = []
    for (const row of rows.slice(0, SAMPLE_ROWS)) {
      for (const key of Object.keys(row)) if (!headers.includes(key)) headers.push(key)
    }
    if (headers.length > MAX_COLUMNS) {
      throw new DatasetError('invalid', `At most ${MAX_COLUMNS} columns.`, 'columns')
    }
    columns = inferColumns(headers, rows.slice(0, SAMPLE_ROWS))
  }
  const keyColumn = checkKeyColumn(columns, input.keyColumn)
  await ensureStorage(tenant, Buffer.byteLength(JSON.stringify(input.sampleRows ?? [])))
  const table = newRowTable()
  const created = await tenant.transaction(async (trx) => {
    await createRowTable(trx, table, columns)
    const result = await raw(
      trx,
      `insert into datasets (name, description, columns, key_column, row_table, status, created_by_user_id)
       values (?, ?, ?::jsonb, ?, ?, 'ready', ?) returning *`,
      [
        name,
        String(input.description ?? '').trim(),
        JSON.stringify(columns),
        keyColumn,
        table,
        input.createdByUserId ?? null,
      ]
    )
    return datasetFrom(result.rows[0])
  })
  return created
}

/** A batch of rows by API: upserted by the key column, errors reported per row (0-based). */
export async function writeRows(
  tenant: TenantContext,
  dataset: Dataset,
  rows: Record<string, unknown>[]
) {
  if (dataset.status === 'draft') {
    throw new DatasetError(
      'not_ready',
      'The dataset is waiting for its columns to be confirmed.',
      null,
      409
    )
  }
  if (rows.length > MAX_API_ROWS) {
    throw new DatasetError('invalid', `At most ${MAX_API_ROWS} rows per call.`, 'rows')
  }
  await ensureStorage(tenant, Buffer.byteLength(JSON.stringify(rows)))
  const known = new Set(dataset.columns.map((column) => column.name))
  const errors: RowError[] = []
  const prepared: PreparedRow[] = []
  rows.forEach((values, index) => {
    if (!values || typeof values !== 'object' || Array.isArray(values)) {
      errors.push({ row: index, column: null, message: 'A row is an object of column values.' })
      return
    }
    const unknown = Object.keys(values).filter((name) => !known.has(name))
    if (unknown.length) {
      errors.push({ row: index, column: unknown[0], message: `No column named “${unknown[0]}”.` })
      return
    }
    const row = prepareRow(dataset.columns, dataset.keyColumn, values, index, errors)
    if (row) prepared.push(row)
  })
  let inserted = 0
  let updated = 0
  for (let i = 0; i < prepared.length; i += BATCH_ROWS) {
    const written = await tenant.transaction((trx) =>
      upsertRows(trx, dataset.rowTable, dataset.columns, prepared.slice(i, i + BATCH_ROWS))
    )
    inserted += written.inserted
    updated += written.updated
  }
  if (inserted || updated) await finishDataset(tenant, dataset)
  return { inserted, updated, errors }
}

/** Flags, synonyms, name and description after import (types stay as imported). */
export async function updateDatasetSettings(
  tenant: TenantContext,
  datasetId: string,
  input: {
    name?: string
    description?: string | null
    columns?: ColumnInput[]
    answersCustomers?: boolean
  }
) {
  const dataset = await findDatasetOrFail(tenant, datasetId)
  const byName = new Map((input.columns ?? []).map((column) => [column.name, column]))
  const draft = dataset.status === 'draft'
  const columns = dataset.columns.map((column) =>
    applyColumnInput(column, byName.get(column.name), draft)
  )
  await tenant.transaction(async (trx) => {
    if (!draft) await syncIndexes(trx, dataset.rowTable, columns)
    await raw(
      trx,
      `update datasets set name = ?, description = ?, columns = ?::jsonb,
          answers_customers = ?, updated_at = now()
        where id = ?`,
      [
        input.name !== undefined ? cleanName(input.name) : dataset.name,
        input.description !== undefined
          ? String(input.description ?? '').trim()
          : dataset.description,
        JSON.stringify(columns),
        input.answersCustomers ?? dataset.answersCustomers,
        dataset.id,
      ]
    )
  })
  return (await findDataset(tenant, dataset.id))!
}

/** A dataset, its rows (the table and its indexes) and its imports' files. */
export async function deleteDataset(tenant: TenantContext, datasetId: string) {
  const dataset = await findDataset(tenant, datasetId)
  if (!dataset) return false
  await tenant.transaction(async (trx) => {
    await dropRowTable(trx, dataset.rowTable)
    await raw(trx, 'delete from datasets where id = ?', [dataset.id])
  })
  await drive.use().deleteAll(`datasets/${tenant.id}/${dataset.id}`)
  await usageChanged(tenant.id, 'knowledge_bytes')
  return true
}

/** A page of a dataset's rows for the row browser and the API. */
export async function browseDataset(
  tenant: TenantContext,
  dataset: Dataset,
  options: BrowseOptions
) {
  return tenant.transaction((trx) => browseRows(trx, dataset.rowTable, dataset.columns, options))
}

export async function findDatasetRow(tenant: TenantContext, dataset: Dataset, rowId: number) {
  return tenant.transaction((trx) => findRow(trx, dataset.rowTable, dataset.columns, rowId))
}

/**
 * One row's values as a person edited them: every column typed again, the
 * key kept unique. Returns the errors by column, or none.
 */
export async function editRow(
  tenant: TenantContext,
  dataset: Dataset,
  rowId: number,
  values: Record<string, unknown>
) {
  const errors: RowError[] = []
  const row = prepareRow(dataset.columns, dataset.keyColumn, values, rowId, errors)
  if (!row) return { ok: false as const, errors }
  const clash = await tenant.transaction(async (trx) => {
    if (row.key !== null) {
      const other = await raw(
        trx,
        `select id from ${dataset.rowTable} where row_key = ? and id <> ?`,
        [row.key, rowId]
      )
      if (other.rows.length) return true
      await raw(trx, `update ${dataset.rowTable} set row_key = ? where id = ?`, [row.key, rowId])
    }
    await updateRow(trx, dataset.rowTable, dataset.columns, rowId, row.values)
    return false
  })
  if (clash) {
    return {
      ok: false as const,
      errors: [{ row: rowId, column: dataset.keyColumn, message: 'Another row has this key.' }],
    }
  }
  return { ok: true as const, errors: [] }
}

export async function removeRow(tenant: TenantContext, dataset: Dataset, rowId: number) {
  const removed = await tenant.transaction((trx) => deleteRow(trx, dataset.rowTable, rowId))
  if (removed) await finishDataset(tenant, dataset)
  return removed
}
