import type { TenantContext } from '#modules/tenancy/index'
import { currentEmbedder, type Embedder } from './embedder.js'
import { readBrainSettings, resizeEmbeddingColumn, vectorLiteral } from './embedding_space.js'
import { embeddingText } from './chunk_store.js'

/** Chunks read, embedded and written per round. */
const BATCH = 256

export interface ReembedResult {
  model: string
  dimensions: number
  previousModel: string | null
  previousDimensions: number
  chunks: number
}

/**
 * Re-embeds every chunk of a tenant with the configured embedder (after
 * AI_EMBED_MODEL changed, say), then swaps the new vectors in at once.
 *
 * New vectors go to embedding_next, a round at a time, each round embedding
 * outside any transaction; searches meanwhile keep using the old vectors.
 * The swap is one transaction: the column takes the new size, its HNSW
 * index is rebuilt and the settings record the model. Safe to rerun: an
 * interrupted run resumes where it stopped (when the embedder is the same),
 * a finished one starts over.
 */
export async function reembedTenant(
  tenant: TenantContext,
  options: { embedder?: Embedder; onProgress?: (done: number, total: number) => void } = {}
): Promise<ReembedResult> {
  const embedder = options.embedder ?? currentEmbedder()
  const before = await tenant.transaction(async (trx) => {
    const settings = await readBrainSettings(trx, { lock: true })
    if (settings.reembedModel !== embedder.model) {
      // What embedding_next holds was made by another model (or by ingestion
      // before this run): start clean.
      await trx.rawQuery(
        'update knowledge_chunks set embedding_next = null where embedding_next is not null'
      )
      await trx.rawQuery(
        `update brain_settings set reembed_model = ?, reembed_started_at = now(), reembed_done = 0,
                reembed_total = (select count(*) from knowledge_chunks), updated_at = now() where id`,
        [embedder.model]
      )
    }
    return settings
  })

  let dimensions = embedder.dimensions
  for (let round = 0; ; round++) {
    await embedPending(tenant, embedder, options.onProgress, (size) => (dimensions = size))
    const swapped = await tenant.transaction(async (trx) => {
      const settings = await readBrainSettings(trx, { lock: true })
      // Ingestion writes chunks under a row lock on their source, never on
      // this table as a whole: take it, so none lands between the count and the swap.
      await trx.rawQuery('lock table knowledge_chunks in share row exclusive mode')
      const pending = await trx.rawQuery(
        'select 1 from knowledge_chunks where embedding_next is null limit 1'
      )
      if (pending.rows.length && round < 5) return false
      const counted = await trx.rawQuery('select count(*)::int as n from knowledge_chunks')
      const total = Number(counted.rows[0].n)
      if (total === 0) {
        dimensions ||= settings.embedDimensions
        await resizeEmbeddingColumn(trx, settings.embedDimensions, dimensions, 'null')
      } else {
        await resizeEmbeddingColumn(trx, settings.embedDimensions, dimensions, 'embedding_next')
        // Dropping and adding a column without a default rewrites nothing.
        await trx.rawQuery('alter table knowledge_chunks drop column embedding_next')
        await trx.rawQuery('alter table knowledge_chunks add column embedding_next vector')
      }
      await trx.rawQuery(
        `update brain_settings set embed_model = ?, embed_dimensions = ?, reembed_model = null,
                reembed_done = null, reembed_total = null, reembed_started_at = null,
                reembedded_at = now(), updated_at = now() where id`,
        [embedder.model, dimensions]
      )
      return total
    })
    if (swapped !== false) {
      return {
        model: embedder.model,
        dimensions,
        previousModel: before.embedModel,
        previousDimensions: before.embedDimensions,
        chunks: swapped,
      }
    }
  }
}

async function embedPending(
  tenant: TenantContext,
  embedder: Embedder,
  onProgress: ((done: number, total: number) => void) | undefined,
  sized: (dimensions: number) => void
) {
  for (;;) {
    const { rows, done, total } = await tenant.transaction(async (trx) => {
      const batch = await trx.rawQuery(
        `select c.id, c.heading_path, c.content, s.title
           from knowledge_chunks c join knowledge_sources s on s.id = c.source_id
          where c.embedding_next is null
          order by c.id
          limit ${BATCH}`
      )
      const counts = await trx.rawQuery(
        `select count(*) filter (where embedding_next is not null)::int as done, count(*)::int as total
           from knowledge_chunks`
      )
      return { rows: batch.rows, done: counts.rows[0].done, total: counts.rows[0].total }
    })
    onProgress?.(done, total)
    if (rows.length === 0) return

    const vectors = await embedder.embed(
      rows.map((row: any) => embeddingText(row.title, row.heading_path ?? [], row.content))
    )
    if (vectors[0]) sized(vectors[0].length)
    await tenant.transaction(async (trx) => {
      await trx.rawQuery(
        `update knowledge_chunks c set embedding_next = v.vector::vector
           from jsonb_to_recordset(?::jsonb) as v(id uuid, vector text)
          where c.id = v.id`,
        [
          JSON.stringify(
            rows.map((row: any, i: number) => ({ id: row.id, vector: vectorLiteral(vectors[i]) }))
          ),
        ]
      )
      await trx.rawQuery(
        `update brain_settings set reembed_done = (select count(*) from knowledge_chunks
                where embedding_next is not null), updated_at = now() where id`
      )
    })
  }
}
