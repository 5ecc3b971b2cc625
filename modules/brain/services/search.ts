import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { currentEmbedder, type Embedder } from './embedder.js'
import { readBrainSettings, vectorLiteral, vectorType } from './embedding_space.js'
import { TEXT_CONFIGS } from './chunk_store.js'

export interface SearchFilters {
  sourceIds?: string[]
  tags?: string[]
}

export interface SearchHit {
  chunkId: string
  sourceId: string
  title: string
  headingPath: string[]
  page: number | null
  url: string | null
  text: string
  /** Reciprocal rank fusion score: the sum of 1 / (60 + rank) over both lists. */
  score: number
  /** 1-based rank among full-text candidates; null when full text did not find it. */
  lexicalRank: number | null
  /** 1-based rank among nearest vectors; null when vector search did not find it. */
  vectorRank: number | null
}

export interface SearchOptions {
  k?: number
  filters?: SearchFilters
  /** Another embedder than the configured one (the evaluation compares them). */
  embedder?: Embedder
}

/** The usual constant of reciprocal rank fusion (Cormack et al., 2009). */
export const RRF_K = 60
export const DEFAULT_K = 5
export const MAX_K = 50
/** Candidates each retriever contributes before fusion. */
const CANDIDATES = 50
/** HNSW's candidate list during a search (pgvector's default is 40). */
const EF_SEARCH = 100
/** Longest query read; a question longer than this is mostly noise for retrieval. */
const MAX_QUERY_CHARS = 2000

/**
 * Hybrid retrieval, the one search of the brain (the assistant, the
 * workspace search box and the API all call it): Postgres full-text search
 * and pgvector's HNSW nearest neighbours, each giving up to 50 candidates,
 * fused by reciprocal rank fusion. Only chunks of each source's live version
 * are searched. Filters by source and tag apply inside both retrievers; the
 * vector side uses pgvector's iterative index scan so a narrow filter still
 * finds its nearest chunks instead of the filtered-away remains of the
 * global top 100.
 */
export async function searchKnowledge(
  tenant: TenantContext,
  query: string,
  options: SearchOptions = {}
): Promise<SearchHit[]> {
  const text = String(query ?? '')
    .slice(0, MAX_QUERY_CHARS)
    .trim()
  if (!text) return []
  const k = Math.min(Math.max(Math.trunc(options.k ?? DEFAULT_K), 1), MAX_K)
  const filters = cleanFilters(options.filters)
  if (filters.sourceIds && filters.sourceIds.length === 0) return []

  // The query's vector is computed before the transaction: a remote model
  // is network I/O, which must never happen while holding the database.
  const embedder = options.embedder ?? currentEmbedder()
  const [queryVector] = await embedder.embed([text])
  const iterative = await supportsIterativeScan()

  return tenant.transaction(async (trx) => {
    // One snapshot for the whole search: under read committed each
    // statement sees the latest commits, so a re-ingest committing between
    // the candidate queries and the details would hand back a mix of
    // versions, or nothing.
    await trx.rawQuery('set transaction isolation level repeatable read')
    const settings = await readBrainSettings(trx)
    const vectorUsable =
      settings.embedModel === embedder.model &&
      settings.embedDimensions === queryVector.length &&
      queryVector.some((value) => value !== 0)

    const lexical = await lexicalCandidates(trx, text, filters)
    const nearest = vectorUsable
      ? await vectorCandidates(trx, queryVector, settings.embedDimensions, filters, iterative)
      : []

    const fused = new Map<
      string,
      { score: number; lexicalRank: number | null; vectorRank: number | null }
    >()
    lexical.forEach((id, index) => {
      fused.set(id, { score: 1 / (RRF_K + index + 1), lexicalRank: index + 1, vectorRank: null })
    })
    nearest.forEach((id, index) => {
      const entry = fused.get(id) ?? { score: 0, lexicalRank: null, vectorRank: null }
      entry.score += 1 / (RRF_K + index + 1)
      entry.vectorRank = index + 1
      fused.set(id, entry)
    })
    const top = [...fused.entries()]
      .sort(
        ([, a], [, b]) =>
          b.score - a.score ||
          (a.lexicalRank ?? Infinity) - (b.lexicalRank ?? Infinity) ||
          (a.vectorRank ?? Infinity) - (b.vectorRank ?? Infinity)
      )
      .slice(0, k)
    if (top.length === 0) return []

    const details = await trx.rawQuery(
      `select c.id, c.source_id, s.title, c.heading_path, c.page, coalesce(s.final_url, s.url) as url,
              c.content
         from knowledge_chunks c join knowledge_sources s on s.id = c.source_id
        where c.id = any(?::uuid[])`,
      [top.map(([id]) => id)]
    )
    const byId = new Map<string, any>(details.rows.map((row: any) => [row.id as string, row]))
    return top.flatMap(([id, rank]) => {
      const row = byId.get(id)
      if (!row) return []
      return [
        {
          chunkId: id,
          sourceId: row.source_id,
          title: row.title,
          headingPath: row.heading_path ?? [],
          page: row.page,
          url: row.url,
          text: row.content,
          score: rank.score,
          lexicalRank: rank.lexicalRank,
          vectorRank: rank.vectorRank,
        },
      ]
    })
  })
}

/**
 * Full-text candidates. The question is parsed in each text-search
 * configuration its sources use, and its terms are OR-ed: a natural
 * question ("does my policy cover locum work?") shares only some words with
 * the passage that answers it, and ts_rank_cd rewards passages that hold
 * more of them, closer together, in the title and headings above the text.
 */
async function lexicalCandidates(
  trx: TransactionClientContract,
  text: string,
  filters: SearchFilters
): Promise<string[]> {
  const languages = await trx.rawQuery(
    `select distinct language from knowledge_sources where live_version is not null`
  )
  const configs = languages.rows
    .map((row: any) => row.language as string)
    .filter((language: string) => (TEXT_CONFIGS as readonly string[]).includes(language))
  if (configs.length === 0) return []

  const bindings: any[] = []
  const queries = configs.map((config: string) => {
    bindings.push(config, config, text)
    // plainto_tsquery joins the terms with &; the same lexemes joined by |
    // match any of them.
    return `select ?::regconfig as cfg,
                   nullif(replace(plainto_tsquery(?::regconfig, ?)::text, ' & ', ' | '), '')::tsquery as q`
  })
  const where = filterSql(filters, bindings)
  const result = await trx.rawQuery(
    `with queries as (${queries.join(' union all ')})
     select c.id
       from queries q
       join knowledge_chunks c on c.text_config = q.cfg and c.tsv @@ q.q
       join knowledge_sources s on s.id = c.source_id and s.live_version = c.source_version
      where q.q is not null ${where}
      order by ts_rank_cd(c.tsv, q.q) desc, c.id
      limit ${CANDIDATES}`,
    bindings
  )
  return result.rows.map((row: any) => row.id as string)
}

/**
 * Nearest chunks by cosine distance through the HNSW index. With a filter,
 * iterative scanning keeps walking the graph until enough chunks pass it
 * (pgvector 0.8+, relaxed order: re-sorted by distance here); older
 * versions get a wider candidate list instead.
 */
async function vectorCandidates(
  trx: TransactionClientContract,
  vector: number[],
  dimensions: number,
  filters: SearchFilters,
  iterative: boolean
): Promise<string[]> {
  const filtered = Boolean(filters.sourceIds || filters.tags)
  await trx.rawQuery(`set local hnsw.ef_search = ${filtered && !iterative ? 400 : EF_SEARCH}`)
  if (iterative) await trx.rawQuery(`set local hnsw.iterative_scan = relaxed_order`)

  const type = `${vectorType(dimensions)}(${dimensions})`
  const literal = vectorLiteral(vector)
  const bindings: any[] = [literal]
  const where = filterSql(filters, bindings)
  bindings.push(literal)
  const result = await trx.rawQuery(
    `with nearest as materialized (
       select c.id, c.embedding <=> ?::${type} as distance
         from knowledge_chunks c
         join knowledge_sources s on s.id = c.source_id and s.live_version = c.source_version
        where c.embedding is not null ${where}
        order by c.embedding <=> ?::${type}
        limit ${CANDIDATES}
     )
     select id from nearest order by distance, id`,
    bindings
  )
  return result.rows.map((row: any) => row.id as string)
}

function filterSql(filters: SearchFilters, bindings: any[]) {
  let sql = ''
  if (filters.sourceIds) {
    sql += ' and s.id = any(?::uuid[])'
    bindings.push(filters.sourceIds)
  }
  if (filters.tags) {
    sql += ' and s.tags && ?::text[]'
    bindings.push(filters.tags)
  }
  return sql
}

/** Drops empty filters; a source id that is not a uuid can match nothing. */
function cleanFilters(filters: SearchFilters | undefined): SearchFilters {
  const clean: SearchFilters = {}
  if (filters?.sourceIds?.length) {
    clean.sourceIds = filters.sourceIds.filter((id) =>
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(String(id))
    )
  }
  const tags = filters?.tags?.map((tag) => String(tag).trim()).filter(Boolean)
  if (tags?.length) clean.tags = tags
  return clean
}

let iterativeScan: Promise<boolean> | null = null

/** pgvector gained iterative index scans in 0.8.0; ask once per process. */
function supportsIterativeScan() {
  iterativeScan ??= db
    .rawQuery(`select extversion from pg_extension where extname = 'vector'`)
    .then((result) => {
      const [major, minor] = String(result.rows[0]?.extversion ?? '0.0')
        .split('.')
        .map(Number)
      return major > 0 || minor >= 8
    })
    .catch(() => {
      iterativeScan = null
      return false
    })
  return iterativeScan
}
