import {
  findTenant,
  contextFor,
  dispatchTenantJob,
  type TenantContext,
} from '#modules/tenancy/index'
import { randomUUID } from 'node:crypto'
import { extname } from 'node:path'
import app from '@adonisjs/core/services/app'
import drive from '@adonisjs/drive/services/main'
import { Exception } from '@adonisjs/core/exceptions'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { limitGuard, usageChanged } from '#modules/billing/index'
import KnowledgeSource, {
  type FaqPair,
  type SourceKind,
  type SourceStatus,
} from '../models/knowledge_source.js'
import IngestSourceJob from '../jobs/ingest_source_job.js'
import { refreshChunkText } from './chunk_store.js'
import { sourceFilePrefix } from './ingestion.js'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { keysetPage, type PageRequest } from '#app/http/api/index'

/** A request about sources the brain refuses; `field` names the input at fault. */
export class SourceError extends Exception {
  constructor(
    code: string,
    message: string,
    readonly field: string | null = null,
    status = 422
  ) {
    super(message, { code, status })
  }
}

export interface SourceDetails {
  title?: string | null
  tags?: string[]
  createdByUserId?: string | null
}

export interface UploadedFile {
  bytes: Buffer
  filename: string
  mimeType?: string | null
}

/** The file types conversion reads (brain-convert's convertFile). */
export const SOURCE_FILE_EXTENSIONS = [
  '.pdf',
  '.docx',
  '.html',
  '.htm',
  '.md',
  '.markdown',
  '.txt',
  '.csv',
]

const MAX_TITLE = 200
const MAX_TAGS = 20
const MAX_TAG = 50
const MAX_FAQ_PAIRS = 2000
const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024

function maxBytes() {
  return app.config.get<number>('brain.maxFileBytes', DEFAULT_MAX_FILE_BYTES)
}

export async function createTextSource(
  tenant: TenantContext,
  input: SourceDetails & { title: string; text: string }
) {
  const title = requireTitle(input.title)
  const text = String(input.text ?? '')
  if (!text.trim()) throw new SourceError('empty', 'Paste some text to learn from.', 'text')
  checkSize(Buffer.byteLength(text), 'text')
  return create(tenant, { kind: 'text', title, titleFromUser: true, input: { text } }, input)
}

export async function createFaqSource(
  tenant: TenantContext,
  input: SourceDetails & { title: string; pairs: FaqPair[] }
) {
  const title = requireTitle(input.title)
  const pairs = (input.pairs ?? [])
    .map((pair) => ({
      question: String(pair?.question ?? '').trim(),
      answer: String(pair?.answer ?? '').trim(),
    }))
    .filter((pair) => pair.question || pair.answer)
  if (pairs.length === 0) {
    throw new SourceError('empty', 'Add at least one question with its answer.', 'pairs')
  }
  if (pairs.length > MAX_FAQ_PAIRS) {
    throw new SourceError('too_large', `An FAQ holds at most ${MAX_FAQ_PAIRS} questions.`, 'pairs')
  }
  const incomplete = pairs.findIndex((pair) => !pair.question || !pair.answer)
  if (incomplete >= 0) {
    throw new SourceError(
      'incomplete_pair',
      `Question ${incomplete + 1} needs both a question and an answer.`,
      'pairs'
    )
  }
  checkSize(Buffer.byteLength(JSON.stringify(pairs)), 'pairs')
  return create(tenant, { kind: 'faq', title, titleFromUser: true, input: { pairs } }, input)
}

export async function createUrlSource(
  tenant: TenantContext,
  input: SourceDetails & { url: string }
) {
  const url = checkUrl(input.url)
  const title = input.title?.trim() ? requireTitle(input.title) : url
  return create(
    tenant,
    { kind: 'url', title, titleFromUser: Boolean(input.title?.trim()), url },
    input
  )
}

/**
 * Keeps the uploaded file in the tenant's storage, then records the source
 * and queues its ingestion. The file is written first so the job never
 * finds a source without its file; a failed insert removes it again.
 */
export async function createFileSource(
  tenant: TenantContext,
  file: UploadedFile,
  details: SourceDetails = {}
) {
  checkFile(file)
  const id = randomUUID()
  const key = fileKey(tenant, id, 1, file.filename)
  await drive.use().put(key, file.bytes)
  try {
    const title = details.title?.trim() ? requireTitle(details.title) : baseTitle(file.filename)
    return await create(
      tenant,
      {
        id,
        kind: 'file',
        title,
        titleFromUser: Boolean(details.title?.trim()),
        fileKey: key,
        fileName: file.filename,
        fileMime: file.mimeType ?? null,
        fileSize: file.bytes.length,
      },
      details
    )
  } catch (error) {
    await drive.use().delete(key)
    throw error
  }
}

/**
 * A new version of an uploaded file. Its chunks replace the old ones in one
 * transaction once ingested; until then (and if it fails) searches keep
 * answering from the previous version.
 */
export async function replaceSourceFile(
  tenant: TenantContext,
  sourceId: string,
  file: UploadedFile
) {
  checkFile(file)
  const source = await findSource(tenant, sourceId)
  if (!source) throw notFound()
  if (source.kind !== 'file') {
    throw new SourceError('not_a_file', 'Only uploaded files can be replaced by a file.', 'file')
  }
  // The new version replaces the old one's bytes in the plan's storage.
  const growth = file.bytes.length - (source.fileSize ?? 0)
  if (growth > 0) {
    const storage = await limitGuard(tenant.id, 'knowledge_bytes')
    await storage.ensure({ adding: growth })
  }
  const key = fileKey(tenant, sourceId, source.version + 1, file.filename)
  await drive.use().put(key, file.bytes)
  const updated = await requeue(tenant, sourceId, (row) => {
    row.merge({
      fileKey: key,
      fileName: file.filename,
      fileMime: file.mimeType ?? null,
      fileSize: file.bytes.length,
    })
    if (!row.titleFromUser) row.title = baseTitle(file.filename)
  })
  if (!updated) {
    await drive.use().delete(key)
    throw notFound()
  }
  return updated
}

/**
 * Ingests a source again: a URL is fetched anew, other kinds are converted
 * and embedded again (after a chunking or embedder change). Unchanged
 * content keeps its chunks.
 */
export async function refetchSource(tenant: TenantContext, sourceId: string) {
  const updated = await requeue(tenant, sourceId, () => {})
  if (!updated) throw notFound()
  return updated
}

/**
 * Renames or retags a source. Tags filter searches at once; a new title is
 * written into the chunks' full-text vectors in the same transaction.
 */
export async function updateSource(
  tenant: TenantContext,
  sourceId: string,
  change: { title?: string; tags?: string[] }
) {
  const title = change.title === undefined ? undefined : requireTitle(change.title)
  const tags = change.tags === undefined ? undefined : normalizeTags(change.tags)
  const updated = await tenant.transaction(async (trx) => {
    const row = isUuid(sourceId)
      ? await KnowledgeSource.query({ client: trx }).where('id', sourceId).forUpdate().first()
      : null
    if (!row) return null
    if (tags) row.tags = tags
    const renamed = title !== undefined && title !== row.title
    if (title !== undefined) row.merge({ title, titleFromUser: true })
    await row.useTransaction(trx).save()
    if (renamed) await refreshChunkText(trx, row)
    return row
  })
  if (!updated) throw notFound()
  return updated
}

/** Removes a source, its chunks (by cascade) and its stored files. */
export async function deleteSource(tenant: TenantContext, sourceId: string) {
  if (!isUuid(sourceId)) return false
  const deleted = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery('delete from knowledge_sources where id = ? returning id', [
      sourceId,
    ])
    return result.rows.length > 0
  })
  if (deleted) await drive.use().deleteAll(sourceFilePrefix(tenant, sourceId))
  return deleted
}

/** The tenant's source, or null (also for an id that is not a uuid). */
export async function findSource(tenant: TenantContext, sourceId: string) {
  if (!isUuid(sourceId)) return null
  return tenant.transaction(
    async (trx) =>
      (await KnowledgeSource.query({ client: trx }).where('id', sourceId).first()) ?? null
  )
}

/** findSource, or E_ROW_NOT_FOUND (answered 404) for an unknown or another tenant's id. */
export async function findSourceOrFail(tenant: TenantContext, sourceId: string) {
  const source = await findSource(tenant, sourceId)
  if (!source) throw new lucidErrors.E_ROW_NOT_FOUND(KnowledgeSource)
  return source
}

export interface SourceListOptions {
  status?: SourceStatus
  kind?: SourceKind
  tag?: string
  /** Matches the title, case-insensitively. */
  q?: string
  limit?: number
  cursor?: string | null
}

/**
 * Sources newest first, a page at a time: `nextCursor` (opaque) fetches the
 * next page, null at the end.
 */
/** The API's pages of sources (its own cursors), newest first, with its filters. */
export async function pageOfSources(
  tenant: TenantContext,
  filters: { status?: SourceStatus; kind?: SourceKind; tag?: string },
  page: PageRequest
) {
  return tenant.transaction((trx) => {
    const query = KnowledgeSource.query({ client: trx })
    if (filters.status) query.where('status', filters.status)
    if (filters.kind) query.where('kind', filters.kind)
    if (filters.tag) query.whereRaw('? = any(tags)', [filters.tag])
    return keysetPage(query, { column: 'created_at', direction: 'desc', page })
  })
}

export async function listSources(tenant: TenantContext, options: SourceListOptions = {}) {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 25), 1), 100)
  const after = decodeCursor(options.cursor)
  const rows = await tenant.transaction(async (trx) => {
    const query = KnowledgeSource.query({ client: trx })
    if (options.status) query.where('status', options.status)
    if (options.kind) query.where('kind', options.kind)
    if (options.tag) query.whereRaw('? = any(tags)', [options.tag])
    if (options.q?.trim()) {
      query.whereILike('title', `%${options.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
    }
    if (after) {
      query.whereRaw('(created_at, id) < (?::timestamptz, ?::uuid)', [after.createdAt, after.id])
    }
    return query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
  })
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    data: page,
    nextCursor:
      rows.length > limit && last
        ? Buffer.from(`${last.createdAt.toISO()}|${last.id}`).toString('base64url')
        : null,
  }
}

async function create(
  tenant: TenantContext,
  values: Partial<KnowledgeSource> & { kind: SourceKind; title: string },
  details: SourceDetails
) {
  const tags = normalizeTags(details.tags ?? [])
  const storage = await limitGuard(tenant.id, 'knowledge_bytes')
  const source = await tenant.transaction(async (trx) => {
    // One source added at a time per tenant, so two cannot share the last bytes.
    await trx.rawQuery('select pg_advisory_xact_lock(hashtext(?))', [`knowledge:${tenant.id}`])
    await storage.ensure({ adding: bytesOf(values), client: trx })
    return KnowledgeSource.create(
      {
        ...values,
        tags,
        status: 'queued',
        version: 1,
        progress: 0,
        chunkCount: 0,
        language: 'simple',
        createdByUserId: details.createdByUserId ?? null,
      },
      { client: trx }
    )
  })
  await queueIngestion(tenant, source)
  await usageChanged(tenant.id, 'knowledge_bytes')
  return source
}

/**
 * What a source stores, as billing's knowledge storage counts it: an
 * upload's file, pasted text or an FAQ as written, a web page's text once
 * fetched (so a URL adds nothing until then; it is refused once full).
 */
function bytesOf(values: Partial<KnowledgeSource>) {
  if (values.kind === 'file') return values.fileSize ?? 0
  if (values.kind === 'url') return 0
  return values.input ? Buffer.byteLength(JSON.stringify(values.input)) : 0
}

const STORED_BYTES = `coalesce(sum(case
    when kind = 'file' then coalesce(file_size, 0)
    when kind = 'url' then coalesce(octet_length(markdown), 0)
    else coalesce(octet_length(input::text), 0) end), 0) as total`

/**
 * Billing's knowledge meter: bytes stored across the tenant's sources (see
 * bytesOf). Inside the caller's tenant transaction when given one.
 */
export async function knowledgeBytesInUse(tenantId: string, client?: TransactionClientContract) {
  const sum = (trx: TransactionClientContract) =>
    trx.from('knowledge_sources').select(trx.raw(STORED_BYTES)).first()
  const tenant = client ? null : await findTenant(tenantId)
  if (!client && !tenant) return 0
  const row = client ? await sum(client) : await contextFor(tenant!).transaction(sum)
  return Number(row?.total ?? 0)
}

/**
 * Bumps the version (so any job still running for the old one stands down),
 * resets the status and queues the new version.
 */
async function requeue(
  tenant: TenantContext,
  sourceId: string,
  change: (row: KnowledgeSource) => void
) {
  if (!isUuid(sourceId)) return null
  const source = await tenant.transaction(async (trx) => {
    const row = await KnowledgeSource.query({ client: trx })
      .where('id', sourceId)
      .forUpdate()
      .first()
    if (!row) return null
    change(row)
    row.merge({
      version: row.version + 1,
      status: 'queued',
      progress: 0,
      stage: null,
      stageDone: null,
      stageTotal: null,
      errorCode: null,
      errorDetail: null,
    })
    await row.useTransaction(trx).save()
    return row
  })
  if (source) await queueIngestion(tenant, source)
  return source
}

function queueIngestion(tenant: TenantContext, source: KnowledgeSource) {
  return dispatchTenantJob(
    IngestSourceJob,
    tenant,
    { sourceId: source.id, version: source.version },
    { jobId: `brain-ingest-${tenant.slug}-${source.id}-v${source.version}` }
  )
}

function notFound() {
  return new SourceError('not_found', 'No such source.', null, 404)
}

function requireTitle(title: string | null | undefined) {
  const value = String(title ?? '').trim()
  if (!value) throw new SourceError('required', 'Give the source a title.', 'title')
  if (value.length > MAX_TITLE) {
    throw new SourceError('too_long', `A title has at most ${MAX_TITLE} characters.`, 'title')
  }
  return value
}

export function normalizeTags(tags: unknown[]) {
  if (!Array.isArray(tags)) throw new SourceError('invalid', 'Tags are a list of words.', 'tags')
  const clean = [...new Set(tags.map((tag) => String(tag ?? '').trim()).filter(Boolean))]
  if (clean.length > MAX_TAGS) {
    throw new SourceError('too_many', `A source has at most ${MAX_TAGS} tags.`, 'tags')
  }
  if (clean.some((tag) => tag.length > MAX_TAG)) {
    throw new SourceError('too_long', `A tag has at most ${MAX_TAG} characters.`, 'tags')
  }
  return clean
}

function checkSize(bytes: number, field: string) {
  const limit = maxBytes()
  if (bytes > limit) {
    throw new SourceError(
      'too_large',
      `That is ${megabytes(bytes)} MB; the limit is ${megabytes(limit)} MB.`,
      field,
      413
    )
  }
}

function checkFile(file: UploadedFile) {
  if (!file?.bytes?.length) throw new SourceError('empty', 'The file is empty.', 'file')
  const extension = extname(file.filename ?? '').toLowerCase()
  if (!SOURCE_FILE_EXTENSIONS.includes(extension)) {
    throw new SourceError(
      'unsupported_type',
      `FloMastr reads PDF, Word (.docx), HTML, Markdown, plain text and CSV files, not "${extension || file.filename}".`,
      'file',
      415
    )
  }
  checkSize(file.bytes.length, 'file')
}

function checkUrl(value: string) {
  let url: URL
  try {
    url = new URL(String(value ?? '').trim())
  } catch {
    throw new SourceError(
      'invalid_url',
      'Enter a full web address, like https://example.com/faq.',
      'url'
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SourceError('invalid_url', 'Only http and https addresses can be fetched.', 'url')
  }
  if (url.username || url.password) {
    throw new SourceError(
      'invalid_url',
      'Addresses with a user name or password are refused.',
      'url'
    )
  }
  url.hash = ''
  return url.toString()
}

function fileKey(tenant: TenantContext, sourceId: string, version: number, filename: string) {
  const safe =
    (filename.split(/[\\/]/).pop() ?? 'file').replace(/[^\w.\-]+/g, '_').slice(-120) || 'file'
  return `${sourceFilePrefix(tenant, sourceId)}/v${version}/${safe}`
}

function baseTitle(filename: string) {
  const name = filename.split(/[\\/]/).pop() ?? filename
  return (
    name
      .replace(/\.[^.]+$/, '')
      .replace(/[_-]+/g, ' ')
      .trim() || name
  ).slice(0, MAX_TITLE)
}

function megabytes(bytes: number) {
  return (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, '')
}

function isUuid(value: string) {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(value))
}

function decodeCursor(cursor: string | null | undefined) {
  if (!cursor) return null
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  if (!createdAt || !isUuid(id ?? '') || Number.isNaN(Date.parse(createdAt))) {
    throw new SourceError('invalid_cursor', 'That page cursor is not valid.', 'cursor', 400)
  }
  return { createdAt, id }
}
