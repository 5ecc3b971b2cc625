import { createHash } from 'node:crypto'
import { DateTime } from 'luxon'
import drive from '@adonisjs/drive/services/main'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import type { TenantContext } from '#modules/tenancy/index'
import KnowledgeSource, { type IngestStage, type SourceInput } from '../models/knowledge_source.js'
import { chunkMarkdown } from './chunker.js'
import {
  ConversionError,
  convertFaq,
  convertFile,
  convertText,
  convertUrl,
  type ConvertedDocument,
} from './conversion.js'
import { EmbeddingError, currentEmbedder, type Embedder } from './embedder.js'
import { claimEmbeddingSpace, readBrainSettings } from './embedding_space.js'
import { embeddingText, insertChunks, textConfig } from './chunk_store.js'

/** Why an ingestion stopped, in words the workspace can translate. */
export type IngestErrorCode =
  ConversionError['code'] | 'file_missing' | 'embedding_failed' | 'internal_error'

export type IngestOutcome = 'ready' | 'unchanged' | 'failed' | 'stale'

/** Texts embedded per progress step. */
const EMBED_STEP = 64
/** Progress is written at most this often: each write is a transaction. */
const PROGRESS_INTERVAL_MS = 250

/**
 * Brings one version of a source into the knowledge: convert, chunk, embed,
 * then swap its chunks in. Idempotent: a version that is already live is
 * left alone, a run for a superseded version does nothing, and a run
 * interrupted anywhere redoes the work and ends the same way (nothing is
 * written to the chunks until the single swap transaction).
 *
 * The slow parts (conversion, the embedding model) run outside any
 * transaction; in embedded mode an open transaction holds the whole database.
 */
export async function ingestSource(
  tenant: TenantContext,
  sourceId: string,
  version: number,
  options: { embedder?: Embedder } = {}
): Promise<IngestOutcome> {
  const source = await tenant.transaction((trx) =>
    KnowledgeSource.query({ client: trx }).where('id', sourceId).first()
  )
  if (!source || source.version !== version) return 'stale'
  if (source.status === 'ready' && source.liveVersion === version) return 'ready'

  const progress = progressWriter(tenant, sourceId, version)
  if (!(await progress.set('converting', 5, { force: true, start: true }))) return 'stale'

  let document: ConvertedDocument & { finalUrl?: string }
  try {
    document = await convert(source)
  } catch (error) {
    if (error instanceof ConversionError) {
      await markSourceFailed(tenant, sourceId, version, error.code, error.message, error.detail)
      return 'failed'
    }
    if (error instanceof MissingFileError) {
      await markSourceFailed(tenant, sourceId, version, 'file_missing', error.message)
      return 'failed'
    }
    throw error
  }

  const title = source.titleFromUser ? source.title : document.title?.trim() || source.title
  const language = textConfig(document.language)
  const contentHash = createHash('sha256').update(document.markdown).digest('hex')
  const embedder = options.embedder ?? currentEmbedder()

  if (
    source.liveVersion !== null &&
    contentHash === source.contentHash &&
    title === source.title &&
    language === source.language
  ) {
    const kept = await keepLiveChunks(tenant, sourceId, version, embedder, document)
    if (kept) {
      await announceReady(tenant, sourceId, version, source.chunkCount)
      return 'unchanged'
    }
  }

  await progress.set('chunking', 20, { force: true })
  const chunks = chunkMarkdown(document.markdown)
  if (chunks.length === 0) {
    await markSourceFailed(
      tenant,
      sourceId,
      version,
      'empty',
      'The document has no text to learn from.'
    )
    return 'failed'
  }

  const vectors: number[][] = []
  try {
    for (let start = 0; start < chunks.length; start += EMBED_STEP) {
      const step = chunks.slice(start, start + EMBED_STEP)
      vectors.push(
        ...(await embedder.embed(
          step.map((chunk) => embeddingText(title, chunk.headingPath, chunk.text))
        ))
      )
      const ratio = vectors.length / chunks.length
      await progress.set('embedding', 25 + Math.round(ratio * 65), {
        done: vectors.length,
        total: chunks.length,
      })
    }
  } catch (error) {
    // A refusal that retrying cannot change (a bad key, an unknown model)
    // fails the source now; anything else is retried by the queue.
    if (error instanceof EmbeddingError && isPermanent(error.status)) {
      await markSourceFailed(tenant, sourceId, version, 'embedding_failed', error.message, {
        status: error.status,
      })
      return 'failed'
    }
    throw error
  }

  await progress.set('saving', 95, { force: true })
  const dimensions = vectors[0]?.length ?? embedder.dimensions
  const saved = await tenant.transaction(async (trx) => {
    const row = await KnowledgeSource.query({ client: trx })
      .where('id', sourceId)
      .forUpdate()
      .first()
    if (!row || row.version !== version) return 'stale' as const
    if (row.status === 'ready' && row.liveVersion === version) return 'ready' as const

    const current = await claimEmbeddingSpace(trx, embedder, dimensions)
    await trx.rawQuery('delete from knowledge_chunks where source_id = ?', [sourceId])
    await insertChunks(
      trx,
      { id: sourceId, version, title, language },
      chunks,
      vectors,
      current ? 'embedding' : 'embedding_next'
    )
    row.merge({
      status: 'ready',
      title,
      language,
      liveVersion: version,
      markdown: document.markdown,
      pageCount: document.pages,
      chunkCount: chunks.length,
      contentHash,
      finalUrl: document.finalUrl ?? row.finalUrl,
      progress: 100,
      stage: null,
      stageDone: null,
      stageTotal: null,
      errorCode: null,
      errorDetail: null,
      ingestedAt: DateTime.now(),
    })
    await row.useTransaction(trx).save()
    return 'saved' as const
  })
  if (saved === 'stale') return 'stale'
  if (saved === 'saved') {
    await removeOlderFiles(tenant, source)
    await announceReady(tenant, sourceId, version, chunks.length)
  }
  return 'ready'
}

/**
 * A refetch or reprocess whose Markdown did not change keeps its chunks: they
 * are relabelled with the new version, unless the embedder changed since.
 */
async function keepLiveChunks(
  tenant: TenantContext,
  sourceId: string,
  version: number,
  embedder: Embedder,
  document: ConvertedDocument & { finalUrl?: string }
) {
  return tenant.transaction(async (trx) => {
    const row = await KnowledgeSource.query({ client: trx })
      .where('id', sourceId)
      .forUpdate()
      .first()
    if (!row || row.version !== version || row.liveVersion === null) return false
    const settings = await readBrainSettings(trx)
    if (settings.embedModel !== embedder.model) return false
    await trx.rawQuery(
      'update knowledge_chunks set source_version = ? where source_id = ? and source_version = ?',
      [version, sourceId, row.liveVersion]
    )
    row.merge({
      status: 'ready',
      liveVersion: version,
      pageCount: document.pages,
      finalUrl: document.finalUrl ?? row.finalUrl,
      progress: 100,
      stage: null,
      stageDone: null,
      stageTotal: null,
      errorCode: null,
      errorDetail: null,
      ingestedAt: DateTime.now(),
    })
    await row.useTransaction(trx).save()
    return true
  })
}

class MissingFileError extends Error {}

async function convert(
  source: KnowledgeSource
): Promise<ConvertedDocument & { finalUrl?: string }> {
  switch (source.kind) {
    case 'file': {
      if (!source.fileKey || !(await drive.use().exists(source.fileKey))) {
        throw new MissingFileError('The uploaded file is no longer in storage; upload it again.')
      }
      const bytes = Buffer.from(await drive.use().getBytes(source.fileKey))
      return convertFile({ bytes, filename: source.fileName ?? 'file', mimeType: source.fileMime })
    }
    case 'url':
      return convertUrl(source.url!)
    case 'text':
      return convertText(
        source.title,
        (source.input as Extract<SourceInput, { text: string }>).text
      )
    case 'faq':
      return convertFaq(
        source.title,
        (source.input as Extract<SourceInput, { pairs: unknown }>).pairs
      )
  }
}

/**
 * Marks a version failed with a reason the workspace shows. A version that
 * was superseded meanwhile is left alone: its successor owns the status.
 */
export async function markSourceFailed(
  tenant: TenantContext,
  sourceId: string,
  version: number,
  code: IngestErrorCode,
  message: string,
  detail?: Record<string, unknown>
) {
  const updated = await tenant.transaction((trx) =>
    KnowledgeSource.query({ client: trx })
      .where('id', sourceId)
      .where('version', version)
      .update({
        status: 'failed',
        error_code: code,
        error_detail: JSON.stringify({ ...detail, message }),
        progress: 0,
        stage: null,
        stage_done: null,
        stage_total: null,
        updated_at: new Date(),
      })
  )
  if (Number(updated[0] ?? 0) > 0) {
    await emitter.emit('brain:source_failed', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      sourceId,
      version,
      errorCode: code,
    })
  }
}

/**
 * Writes status and progress for one version, in small transactions of its
 * own, at most every PROGRESS_INTERVAL_MS unless forced. Returns false when
 * the version was superseded.
 */
function progressWriter(tenant: TenantContext, sourceId: string, version: number) {
  let last = 0
  return {
    async set(
      stage: IngestStage,
      percent: number,
      options: { force?: boolean; start?: boolean; done?: number; total?: number } = {}
    ) {
      const at = Date.now()
      if (!options.force && at - last < PROGRESS_INTERVAL_MS) return true
      last = at
      const change: Record<string, unknown> = {
        stage,
        progress: percent,
        stage_done: options.done ?? null,
        stage_total: options.total ?? null,
        updated_at: new Date(),
      }
      if (options.start) {
        Object.assign(change, { status: 'processing', error_code: null, error_detail: null })
      }
      const updated = await tenant.transaction((trx) =>
        KnowledgeSource.query({ client: trx })
          .where('id', sourceId)
          .where('version', version)
          .update(change)
      )
      return Number(updated[0] ?? 0) > 0
    },
  }
}

/** An uploaded file's older versions go once a newer one is live. */
async function removeOlderFiles(tenant: TenantContext, source: KnowledgeSource) {
  if (source.kind !== 'file' || !source.fileKey) return
  const prefix = sourceFilePrefix(tenant, source.id)
  try {
    const { objects } = await drive.use().listAll(prefix, { recursive: true })
    for (const object of objects) {
      if (object.isFile && object.key !== source.fileKey) await drive.use().delete(object.key)
    }
  } catch (error) {
    logger.warn({ err: error, sourceId: source.id }, 'could not remove older source files')
  }
}

export function sourceFilePrefix(tenant: Pick<TenantContext, 'id'>, sourceId: string) {
  return `tenants/${tenant.id}/brain/${sourceId}`
}

async function announceReady(
  tenant: TenantContext,
  sourceId: string,
  version: number,
  chunkCount: number
) {
  await emitter.emit('brain:source_ready', {
    tenant: tenant.slug,
    tenantId: tenant.id,
    sourceId,
    version,
    chunkCount,
  })
}

/** 4xx other than timeouts, conflicts and rate limits will not change on retry. */
function isPermanent(status: number | null) {
  return status !== null && status >= 400 && status < 500 && ![408, 409, 429].includes(status)
}
