import pgvector from 'pgvector'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { Embedder } from './embedder.js'

/**
 * The tenant's vector space: which embedder filled knowledge_chunks.embedding
 * and the column's size. Vectors of two models are never compared: while the
 * configured embedder differs from the stored one, ingestion writes its
 * vectors to embedding_next (for brain:reembed to swap in) and search runs
 * on full text alone.
 */
export interface BrainSettings {
  embedModel: string | null
  embedDimensions: number
  reembedModel: string | null
  reembedDone: number | null
  reembedTotal: number | null
  reembedStartedAt: Date | null
  reembeddedAt: Date | null
}

/** pgvector indexes `vector` up to 2,000 dimensions and `halfvec` up to 4,000. */
export const MAX_VECTOR_INDEX_DIMENSIONS = 2000
export const MAX_HALFVEC_INDEX_DIMENSIONS = 4000

export function vectorType(dimensions: number) {
  return dimensions > MAX_VECTOR_INDEX_DIMENSIONS ? 'halfvec' : 'vector'
}

export async function readBrainSettings(
  trx: TransactionClientContract,
  options: { lock?: boolean } = {}
): Promise<BrainSettings> {
  const result = await trx.rawQuery(
    `select embed_model, embed_dimensions, reembed_model, reembed_done, reembed_total,
            reembed_started_at, reembedded_at
       from brain_settings where id${options.lock ? ' for update' : ''}`
  )
  const row = result.rows[0]
  return {
    embedModel: row.embed_model,
    embedDimensions: row.embed_dimensions,
    reembedModel: row.reembed_model,
    reembedDone: row.reembed_done,
    reembedTotal: row.reembed_total,
    reembedStartedAt: row.reembed_started_at,
    reembeddedAt: row.reembedded_at,
  }
}

/**
 * Whether vectors from `embedder` (of `dimensions`) belong in the embedding
 * column. A tenant with no chunks yet adopts the embedder: the column takes
 * its size and the settings its name. Call inside the transaction that
 * writes the vectors; it locks the settings row, so two first ingestions
 * cannot adopt different models.
 */
export async function claimEmbeddingSpace(
  trx: TransactionClientContract,
  embedder: Pick<Embedder, 'model'>,
  dimensions: number
): Promise<boolean> {
  const settings = await readBrainSettings(trx, { lock: true })
  if (settings.embedModel === embedder.model && settings.embedDimensions === dimensions) {
    return true
  }
  const any = await trx.rawQuery(
    'select 1 from knowledge_chunks where embedding is not null limit 1'
  )
  if (any.rows.length) return false
  await resizeEmbeddingColumn(trx, settings.embedDimensions, dimensions, 'null')
  await trx.rawQuery(
    `update brain_settings set embed_model = ?, embed_dimensions = ?, updated_at = now() where id`,
    [embedder.model, dimensions]
  )
  return true
}

/**
 * Gives the embedding column a new size (or type) and its HNSW index again.
 * `using` says what fills it: 'null' or 'embedding_next'.
 */
export async function resizeEmbeddingColumn(
  trx: TransactionClientContract,
  from: number,
  to: number,
  using: 'null' | 'embedding_next'
) {
  if (to > MAX_HALFVEC_INDEX_DIMENSIONS) {
    throw new Error(
      `Embeddings of ${to} dimensions are larger than pgvector can index (${MAX_HALFVEC_INDEX_DIMENSIONS}); set AI_EMBED_DIMENSIONS lower`
    )
  }
  const type = `${vectorType(to)}(${to})`
  const source = using === 'null' ? 'null' : `embedding_next::${type}`
  if (from === to && using === 'null') return
  await trx.rawQuery('drop index if exists knowledge_chunks_embedding')
  await trx.rawQuery(
    `alter table knowledge_chunks alter column embedding type ${type} using ${source}`
  )
  await trx.rawQuery(
    `create index knowledge_chunks_embedding on knowledge_chunks
       using hnsw (embedding ${vectorType(to)}_cosine_ops)`
  )
}

/** A vector as pgvector's text input ('[0.1,0.2,...]'), formatted by the pgvector package. */
export function vectorLiteral(vector: number[]): string {
  return pgvector.toSql(vector)
}
