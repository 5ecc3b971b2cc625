import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import drive from '@adonisjs/drive/services/main'
import { parse } from 'csv-parse'
import { Exception } from '@adonisjs/core/exceptions'
import { errors as lucidErrors } from '@adonisjs/lucid'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { getCountries, type CountryCode } from 'libphonenumber-js'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import ContactField from '../models/contact_field.js'
import {
  ImportPlan,
  checkMapping,
  guessMapping,
  mergeByPhone,
  type ImportTarget,
  type ImportedContact,
  type MappingProblem,
  type RowError,
} from './contact_import_rows.js'

/*
| CSV imports of contacts. An upload is stored and its header read; a
| member (or the API) maps the columns; a job reads the file as a stream
| and writes contacts a batch at a time with one INSERT .. ON CONFLICT
| (phone) per batch. Each batch's contacts, the import's counters, its
| refused rows and `processed` (the last row written) commit together
| under a lock on the import, so a retried or doubled job skips what is
| written and resumes after it: nothing is counted or created twice.
|
| Merging with a contact that has the phone already: values the file gives
| replace the contact's (name, e-mail, notes, language, time zone, each
| custom field given); empty cells never clear anything; tags are added,
| never removed. Marketing consent from the file is recorded with source
| `import`, except that an import never turns a stored opt-out back into
| an opt-in (only the person can).
*/

export type ImportStatus = 'mapping' | 'queued' | 'running' | 'done' | 'failed'

export interface ContactImport {
  id: string
  status: ImportStatus
  fileName: string
  headers: string[]
  sample: string[][]
  mapping: ImportTarget[]
  defaultCountry: CountryCode | null
  label: string | null
  total: number | null
  processed: number
  created: number
  updated: number
  /** Rows merged into an earlier row with the same phone before reaching the database. */
  repeated: number
  errorCount: number
  failure: string | null
  createdAt: Date
  startedAt: Date | null
  finishedAt: Date | null
}

export const MAX_IMPORT_BYTES = 50 * 1024 * 1024
const MAX_COLUMNS = 100
const BATCH_ROWS = 2000
const SAMPLE_ROWS = 3
const COUNTRIES = new Set<string>(getCountries())

/** An upload or mapping the import refuses; the API answers `status` with `code`. */
export class ContactImportError extends Exception {
  constructor(
    code:
      | 'invalid_file'
      | 'file_too_large'
      | 'invalid_mapping'
      | 'invalid_country'
      | 'invalid_label'
      | 'not_mapping',
    message: string,
    readonly problems: MappingProblem[] = [],
    status = 422
  ) {
    super(message, { code, status })
  }
}

export function isCountry(value: string): value is CountryCode {
  return COUNTRIES.has(value)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function importFrom(row: Record<string, any>): ContactImport {
  return {
    id: row.id,
    status: row.status,
    fileName: row.file_name,
    headers: row.headers,
    sample: row.sample,
    mapping: row.mapping,
    defaultCountry: row.default_country,
    label: row.label,
    total: row.total,
    processed: row.processed,
    created: row.created_count,
    updated: row.updated_count,
    repeated: row.repeated_count,
    errorCount: row.error_count,
    failure: row.failure,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  }
}

export async function findContactImport(tenant: TenantContext, importId: string) {
  if (!UUID.test(importId)) return null
  const result = await tenant.transaction((trx) =>
    trx.rawQuery('select * from contact_imports where id = ?', [importId])
  )
  return result.rows[0] ? importFrom(result.rows[0]) : null
}

/** findContactImport, or E_ROW_NOT_FOUND (404) for an unknown or another workspace's import. */
export async function findContactImportOrFail(tenant: TenantContext, importId: string) {
  const found = await findContactImport(tenant, importId)
  if (!found) throw new lucidErrors.E_ROW_NOT_FOUND()
  return found
}

export async function recentContactImports(
  tenant: TenantContext,
  limit = 10
): Promise<ContactImport[]> {
  const result = await tenant.transaction((trx) =>
    trx.rawQuery('select * from contact_imports order by created_at desc limit ?', [limit])
  )
  return result.rows.map(importFrom)
}

/** The delimiter the header line uses most, outside quotes: comma, semicolon or tab. */
function detectDelimiter(firstLine: string) {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0 }
  let quoted = false
  for (const char of firstLine) {
    if (char === '"') quoted = !quoted
    else if (!quoted && char in counts) counts[char]++
  }
  const [best, count] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]
  return count > 0 ? best : ','
}

function csvParser(delimiter: string, fromLine = 1) {
  return parse({
    bom: true,
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    from_line: fromLine,
  })
}

/** The header and the first rows of a stored or uploaded file. */
async function readHead(path: string) {
  const handle = await open(path)
  const buffer = Buffer.alloc(64 * 1024)
  const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0).finally(() => handle.close())
  const head = buffer.subarray(0, bytesRead)
  if (head.includes(0)) throw new ContactImportError('invalid_file', 'This is not a CSV file.')
  const text = head.toString('utf8').replace(/^\uFEFF/, '')
  const delimiter = detectDelimiter(text.split(/\r?\n/, 1)[0] ?? '')
  const records: string[][] = []
  const parser = csvParser(delimiter)
  const source = createReadStream(path)
  source.pipe(parser)
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      records.push(record)
      if (records.length > SAMPLE_ROWS) break
    }
  } catch {
    throw new ContactImportError('invalid_file', 'The file could not be read as CSV.')
  } finally {
    source.destroy()
  }
  const headers = (records[0] ?? []).map((header) => header.trim())
  if (!headers.length || headers.every((header) => !header)) {
    throw new ContactImportError('invalid_file', 'The file has no header row.')
  }
  if (headers.length > MAX_COLUMNS) {
    throw new ContactImportError('invalid_file', `A file may have ${MAX_COLUMNS} columns at most.`)
  }
  return { headers, sample: records.slice(1), delimiter }
}

/** Data rows in a file, roughly (lines less the header), for the progress bar. */
async function countLines(path: string) {
  let lines = 0
  let last = 10
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++
    last = chunk[chunk.length - 1]
  }
  if (last !== 10) lines++
  return Math.max(lines - 1, 0)
}

export interface ImportOptions {
  mapping?: string[] | Record<string, string> | null
  defaultCountry?: string | null
  label?: string | null
}

/**
 * Step one: the uploaded file (at `path`) is stored and its columns read;
 * the import waits for its mapping, pre-filled with the guess.
 */
export async function uploadContactImport(
  tenant: TenantContext,
  file: { path: string; fileName: string },
  createdByUserId: string | null
): Promise<ContactImport> {
  const { size } = await stat(file.path)
  if (size > MAX_IMPORT_BYTES) {
    throw new ContactImportError('file_too_large', 'Files are 50 MB at most.', [], 413)
  }
  if (!/\.(csv|txt|tsv)$/i.test(file.fileName)) {
    throw new ContactImportError('invalid_file', 'Upload a CSV file.')
  }
  const head = await readHead(file.path)
  const total = await countLines(file.path)
  const fields = await fieldsOf(tenant)
  const made = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `insert into contact_imports (file_name, headers, sample, mapping, delimiter, total,
              created_by_user_id)
       values (?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?) returning *`,
      [
        file.fileName.slice(0, 255),
        JSON.stringify(head.headers),
        JSON.stringify(head.sample),
        JSON.stringify(guessMapping(head.headers, fields)),
        head.delimiter,
        total,
        createdByUserId,
      ] as any[]
    )
    return importFrom(result.rows[0])
  })
  const key = `contact-imports/${tenant.id}/${made.id}.csv`
  await drive.use().putStream(key, createReadStream(file.path))
  await tenant.transaction((trx) =>
    trx.rawQuery('update contact_imports set file_key = ? where id = ?', [key, made.id])
  )
  return made
}

async function fieldsOf(tenant: TenantContext) {
  return tenant.transaction((trx) => ContactField.query({ client: trx }).orderBy('position'))
}

/** A mapping given by header name (API) or by column (form), as one target per column. */
function mappingByColumn(headers: string[], given: ImportOptions['mapping'], guess: string[]) {
  if (!given) return guess
  if (Array.isArray(given)) return headers.map((_, index) => String(given[index] ?? 'ignore'))
  const unknown = Object.keys(given).filter((name) => !headers.includes(name))
  if (unknown.length) {
    throw new ContactImportError(
      'invalid_mapping',
      `The file has no column named ${unknown.map((name) => `"${name}"`).join(', ')}.`
    )
  }
  return headers.map((header) => String(given[header] ?? 'ignore'))
}

/**
 * Step two: the mapping and options are checked and the job queued. Only an
 * import waiting for its mapping can start (a second click does nothing more).
 */
export async function startContactImport(
  tenant: TenantContext,
  importId: string,
  options: ImportOptions
): Promise<ContactImport> {
  const job = await findContactImportOrFail(tenant, importId)
  if (job.status !== 'mapping') {
    throw new ContactImportError('not_mapping', 'This import has already started.', [], 409)
  }
  const fields = await fieldsOf(tenant)
  const mapping = mappingByColumn(job.headers, options.mapping, job.mapping)
  const problems = checkMapping(mapping, fields)
  if (problems.length) {
    throw new ContactImportError('invalid_mapping', mappingMessage(problems, job.headers), problems)
  }
  const country = (options.defaultCountry ?? '').trim().toUpperCase() || null
  if (country && !isCountry(country)) {
    throw new ContactImportError('invalid_country', 'default_country is not a known country code.')
  }
  const label = (options.label ?? '').trim().replace(/\s+/g, ' ') || null
  if (label && (label.length > 50 || /[,;،]/.test(label))) {
    throw new ContactImportError(
      'invalid_label',
      'The label is 50 characters at most, without commas.'
    )
  }
  const started = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `update contact_imports set status = 'queued', mapping = ?::jsonb, default_country = ?,
              label = ? where id = ? and status = 'mapping' returning *`,
      [JSON.stringify(mapping), country, label, importId] as any[]
    )
    return result.rows[0] ? importFrom(result.rows[0]) : null
  })
  if (!started) {
    throw new ContactImportError('not_mapping', 'This import has already started.', [], 409)
  }
  await queueContactImport(tenant, importId)
  return started
}

export async function queueContactImport(tenant: TenantContext, importId: string) {
  const { default: ImportContactsJob } = await import('../jobs/import_contacts_job.js')
  await dispatchTenantJob(
    ImportContactsJob,
    tenant,
    { importId },
    { jobId: `contact-import-${tenant.slug}-${importId}` }
  )
}

/** English, for the API and as the form's summary. */
export function mappingMessage(problems: MappingProblem[], headers: string[]) {
  return problems
    .map((problem) => {
      const column = problem.column === null ? '' : `Column "${headers[problem.column]}": `
      switch (problem.code) {
        case 'unknown_target':
          return `${column}"${problem.target}" is not a contact field.`
        case 'duplicate_target':
          return `${column}"${problem.target}" is mapped to another column already.`
        case 'phone_unmapped':
          return 'Map one column to the phone number.'
        case 'required_field_unmapped':
          return `The required custom field "${problem.target!.slice(5)}" needs a column.`
      }
    })
    .join(' ')
}

/**
 * The job: reads the stored file as a stream and writes it a batch at a
 * time (see the top of this file). Safe to run twice or after a crash.
 */
export async function runContactImport(tenant: TenantContext, importId: string) {
  const job = await findContactImport(tenant, importId)
  if (!job || job.status === 'done' || job.status === 'failed' || job.status === 'mapping') {
    return job
  }
  const fileKey = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      `update contact_imports set status = 'running', started_at = coalesce(started_at, now())
        where id = ? returning file_key, delimiter`,
      [importId]
    )
    return result.rows[0] as { file_key: string; delimiter: string }
  })
  if (!fileKey?.file_key) {
    await failContactImport(tenant, importId, 'The uploaded file is no longer stored.')
    return findContactImport(tenant, importId)
  }
  const fields = await fieldsOf(tenant)
  const plan = new ImportPlan(job.headers, job.mapping, fields, job.defaultCountry, job.label)
  const stream = (await drive.use().getStream(fileKey.file_key)) as Readable
  // Data rows the last run wrote are read again but not prepared.
  let row = 1
  let batch: ImportedContact[] = []
  let errors: RowError[] = []
  // One batch is written while the next is read; writes stay in file order.
  let writing: Promise<void> = Promise.resolve()
  const flush = async () => {
    await writing
    writing = writeBatch(tenant, importId, row, batch.length, mergeByPhone(batch), errors)
    // Awaited at the next batch or the end; marked handled so a failure waits for that.
    writing.catch(() => {})
    batch = []
    errors = []
  }
  const parser = csvParser(fileKey.delimiter, 2)
  // A file that cannot be read (gone, a disk error) ends the loop below with that error.
  stream.on('error', (error) => parser.destroy(error))
  stream.pipe(parser)
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++
      if (row - 1 <= job.processed) continue
      if (record.every((cell) => !cell.trim())) continue
      const contact = plan.read(record, row, errors)
      if (contact) batch.push(contact)
      if (batch.length + errors.length >= BATCH_ROWS) await flush()
    }
    await flush()
    await writing
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('CSV_')) {
      // The rows before the unreadable one are kept.
      await flush()
      await writing
      await failContactImport(tenant, importId, `Row ${row + 1} could not be read as CSV.`)
      await forgetFile(tenant, importId, fileKey.file_key)
      return findContactImport(tenant, importId)
    }
    throw error
  } finally {
    stream.destroy()
  }
  await tenant.transaction((trx) =>
    trx.rawQuery(
      `update contact_imports set status = 'done', finished_at = now(), total = processed
        where id = ? and status = 'running'`,
      [importId]
    )
  )
  await forgetFile(tenant, importId, fileKey.file_key)
  return findContactImport(tenant, importId)
}

/** A finished import's upload is deleted: the contacts and the error report are what stays. */
async function forgetFile(tenant: TenantContext, importId: string, key: string) {
  await drive.use().delete(key)
  await tenant.transaction((trx) =>
    trx.rawQuery('update contact_imports set file_key = null where id = ?', [importId])
  )
}

/**
 * One batch: contacts upserted by phone, the refused rows recorded and the
 * counters moved, in one transaction that first locks the import and skips
 * the batch if another run already wrote past it.
 */
async function writeBatch(
  tenant: TenantContext,
  importId: string,
  lastRow: number,
  rowsRead: number,
  contacts: ImportedContact[],
  errors: RowError[]
) {
  await tenant.transaction(async (trx) => {
    const locked = await trx.rawQuery(
      'select processed from contact_imports where id = ? for update',
      [importId]
    )
    // `processed` counts data rows: the last one written is spreadsheet row processed + 1.
    if (Number(locked.rows[0]?.processed ?? 0) >= lastRow - 1) return
    const written = contacts.length
      ? await upsertContacts(trx, contacts)
      : { created: 0, updated: 0 }
    if (errors.length) {
      await trx.rawQuery(
        `insert into contact_import_errors (import_id, "row", "column", code, value)
         select ?, e.row, e.column, e.code, left(e.value, 500)
           from jsonb_to_recordset(?::jsonb) as e("row" int, "column" text, code text, value text)`,
        [importId, JSON.stringify(errors)]
      )
    }
    const rowsWithErrors = new Set(errors.map((error) => error.row)).size
    await trx.rawQuery(
      `update contact_imports set processed = ?, created_count = created_count + ?,
              updated_count = updated_count + ?, repeated_count = repeated_count + ?,
              error_count = error_count + ? where id = ?`,
      [
        lastRow - 1,
        written.created,
        written.updated,
        rowsRead - contacts.length,
        rowsWithErrors,
        importId,
      ]
    )
  })
}

/**
 * The set-wise write: the batch travels as one JSON document, and one
 * statement inserts new phones and merges known ones (see the top of this
 * file). `xmax = 0` tells an inserted row from an updated one.
 */
export async function upsertContacts(trx: TransactionClientContract, contacts: ImportedContact[]) {
  const result = await trx.rawQuery(
    `with r as (
       select * from jsonb_to_recordset(?::jsonb) as r(
         phone text, name text, email text, notes text, tags text[], attributes jsonb,
         language text, time_zone text, language_guess text, time_zone_guess text, consent text)
     ), w as (
       insert into contacts as c (phone, wa_id, name, email, notes, tags, attributes, language,
              time_zone, marketing_consent, marketing_consent_source, marketing_consent_at, source)
       select r.phone,
              case when o.id is null then substr(r.phone, 2) end,
              r.name, r.email, r.notes, coalesce(r.tags, '{}'), coalesce(r.attributes, '{}'),
              coalesce(r.language, case when e.id is null then r.language_guess end),
              coalesce(r.time_zone, case when e.id is null then r.time_zone_guess end),
              coalesce(r.consent, 'unknown'),
              case when r.consent is not null then 'import' end,
              case when r.consent is not null then now() end,
              'import'
         from r
         left join contacts e on e.phone = r.phone
         left join contacts o on o.wa_id = substr(r.phone, 2) and o.phone is distinct from r.phone
       on conflict (phone) do update set
         name = coalesce(excluded.name, c.name),
         email = coalesce(excluded.email, c.email),
         notes = coalesce(excluded.notes, c.notes),
         tags = array(select t from unnest(c.tags || excluded.tags) with ordinality u(t, n)
                       group by t order by min(n)),
         attributes = c.attributes || excluded.attributes,
         language = coalesce(excluded.language, c.language),
         time_zone = coalesce(excluded.time_zone, c.time_zone),
         marketing_consent = case when ${consentChanges} then excluded.marketing_consent
                                  else c.marketing_consent end,
         marketing_consent_source = case when ${consentChanges} then 'import'
                                         else c.marketing_consent_source end,
         marketing_consent_at = case when ${consentChanges} then now()
                                     else c.marketing_consent_at end,
         updated_at = now()
       returning (xmax = 0) as inserted
     )
     select count(*) filter (where inserted) as created, count(*) filter (where not inserted) as updated
       from w`,
    [JSON.stringify(contacts)]
  )
  const counts = result.rows[0]
  return { created: Number(counts.created), updated: Number(counts.updated) }
}

/** The file gives a consent, it differs, and it would not undo a stored opt-out. */
const consentChanges = `(excluded.marketing_consent_source is not null
  and excluded.marketing_consent <> c.marketing_consent
  and not (excluded.marketing_consent = 'opted_in' and c.marketing_consent = 'opted_out'))`

export async function failContactImport(tenant: TenantContext, importId: string, message: string) {
  await tenant.transaction((trx) =>
    trx.rawQuery(
      `update contact_imports set status = 'failed', failure = ?, finished_at = now()
        where id = ? and status in ('queued', 'running')`,
      [message, importId]
    )
  )
}

export interface ImportErrorRow {
  row: number
  column: string | null
  code: string
  value: string | null
}

/** The refused rows in file order, a page at a time after `afterId` (for the report and the API). */
export async function importErrorsPage(
  tenant: TenantContext,
  importId: string,
  options: { afterId?: number; limit: number }
): Promise<{ rows: ImportErrorRow[]; lastId: number | null }> {
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `select id, "row", "column", code, value from contact_import_errors
        where import_id = ? and id > ? order by id limit ?`,
      [importId, options.afterId ?? 0, options.limit]
    )
  )
  const rows = result.rows as Array<ImportErrorRow & { id: string }>
  return {
    rows: rows.map(({ row, column, code, value }) => ({ row, column, code, value })),
    lastId: rows.length ? Number(rows[rows.length - 1].id) : null,
  }
}
