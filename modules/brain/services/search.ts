import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { currentEmbedder, type Embedder } from './embedder.js'
import { readBrainSettings, vectorLiteral, vectorType } from './embedding_space.js'
import { TEXT_CONFIGS } from './chunk_store.js'
import { normalizeArabicSql, synonymWordsByWord } from './text_toolkit.js'

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
/** Most rows the full-text side ranks (see lexicalCandidates); `brain.searchRankPool` in config. */
const RANK_POOL = 1000
/** Terms of a question the full-text side uses, in the order they were asked. */
const MAX_TERMS = 32
/** Longest question (in terms) tried with all terms but one. */
const QUORUM_MAX_TERMS = 10
/** Terms that get a tier of their own, rarest first; the rest share the last one. */
const TERM_TIERS = 6

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
 * Full-text candidates: the passages sharing the most of the question's
 * terms, ranked by ts_rank_cd (more of the terms, closer together, in the
 * title and headings above the text). The question is parsed in each
 * text-search configuration its sources use.
 *
 * Ranking is what costs (ts_rank_cd reads each row's tsvector), and a
 * natural question ("does my policy cover locum work this year?") holds
 * words such as "cover" found in most of an insurer's passages: ranking
 * every passage that shares a word took ~400 ms at 100,000 chunks. So at
 * most RANK_POOL passages are ranked. When no more than that share a word
 * with the question (any small or medium knowledge base), all of them are,
 * and the ranking is exact. Otherwise the pool is filled through the GIN
 * index from the most telling passages to the least, until it is full:
 *
 *   1. passages holding every term;
 *   2. those holding the rarest term and all others but one (questions of
 *      3 to 10 terms; an answer often lacks one of the asker's words);
 *   3. those holding the rarest term, then the next rarest, and so on: a
 *      rare word ("locum") says more about a passage than a common one
 *      ("cover"), as IDF weighs them;
 *
 * and the best of the pool by ts_rank_cd are the candidates.
 */
async function lexicalCandidates(
  trx: TransactionClientContract,
  text: string,
  filters: SearchFilters
): Promise<string[]> {
  const { terms, commonest } = await questionTerms(trx, text)
  if (terms.length === 0) return []
  // Statistics saying a term is in more passages than the pool holds skip
  // straight to the tiers; otherwise all matches are ranked, unless there
  // turn out to be too many.
  const pool = app.config.get<number>('brain.searchRankPool', RANK_POOL)
  if (commonest <= pool) {
    const anyTerm = terms.map((term) => ({ ...term, match: anyOf(term.lexemes.flat()) }))
    const ranked = await rankTier(trx, anyTerm, filters, pool + 1)
    if ((ranked[0]?.pooled ?? 0) <= pool) return ranked.map((row) => row.id)
  }

  const found: RankedChunk[] = []
  let room = pool
  for (let tier = 0; room > 0; tier++) {
    const queries = terms.map(({ lexemes }) => tierQuery(lexemes, tier))
    if (queries.every((query) => query === undefined)) break
    const arms = terms.flatMap((term, i) => (queries[i] ? [{ ...term, match: queries[i] }] : []))
    if (arms.length === 0) continue
    const rows = await rankTier(trx, arms, filters, room)
    found.push(...rows)
    room -= rows[0]?.pooled ?? 0
  }
  return found
    .sort((a, b) => b.rank - a.rank || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0))
    .slice(0, CANDIDATES)
    .map((row) => row.id)
}

interface TierArm {
  cfg: string
  /** The question's terms, each as its own lexeme then its synonyms' lexemes. */
  lexemes: string[][]
  /** The tsquery that admits a passage to the pool. */
  match: string
}

interface RankedChunk {
  id: string
  rank: number
  /** How many passages the tier put in the pool. */
  pooled: number
  /** Ties in rank go to the older source, then the earlier passage: the same order on every run. */
  tie: string
}

/**
 * The tsquery of a tier for one configuration's terms (rarest first): null
 * when the tier adds nothing for them, undefined past the last tier. Each
 * tier leaves out the passages of the tiers before it, so none is pooled
 * twice. The all-but-one tier keeps the rarest term: a passage holding
 * every common word of the question but not its telling one ("locum") is
 * the crowd a large knowledge base is full of.
 */
function tierQuery(lexemes: string[][], tier: number): string | null | undefined {
  const n = lexemes.length
  const all = n > 1 ? allOf(lexemes) : null
  const [rarest, ...others] = lexemes
  const quorum =
    n >= 3 && n <= QUORUM_MAX_TERMS
      ? `${termOperand(rarest)} & (${others
          .map((_, skip) => `(${allOf(others.filter((__, i) => i !== skip))})`)
          .join(' | ')})`
      : null
  if (tier === 0) return all
  if (tier === 1) return quorum && `${quorum} & !(${all})`
  const term = tier - 2
  if (term >= Math.min(n, TERM_TIERS + 1)) return undefined
  // Every earlier tier's passages hold the rarest term; later ones exclude it.
  const excluded =
    term === 0
      ? [quorum ?? all].filter((query) => query !== null)
      : lexemes.slice(0, term).map(termOperand)
  // The last tier takes every remaining term at once.
  const own = term === TERM_TIERS ? anyOf(lexemes.slice(term).flat()) : termOperand(lexemes[term])
  return [`(${own})`, ...excluded.map((query) => `!(${query})`)].join(' & ')
}

function armsSql(arms: TierArm[], filters: SearchFilters, limit: number, bindings: any[]) {
  return arms
    .map(({ cfg, lexemes, match }) => {
      bindings.push(anyOf(lexemes.flat()), cfg, match)
      const where = filterSql(filters, bindings)
      return `(select c.id, c.tsv, ?::tsquery as rank_q,
                      to_char(s.created_at, 'YYYYMMDDHH24MISSUS') || lpad(c.ordinal::text, 8, '0') || c.id as tie
                 from knowledge_chunks c
                 join knowledge_sources s on s.id = c.source_id and s.live_version = c.source_version
                where c.text_config = ?::regconfig and c.tsv @@ ?::tsquery ${where}
                limit ${limit})`
    })
    .join(' union all ')
}

/** Pools up to `limit` passages matching the arms; returns the best CANDIDATES of them. */
async function rankTier(
  trx: TransactionClientContract,
  arms: TierArm[],
  filters: SearchFilters,
  limit: number
): Promise<RankedChunk[]> {
  const bindings: any[] = []
  const result = await trx.rawQuery(
    `select id, ts_rank_cd(tsv, rank_q) as rank, count(*) over ()::int as pooled, tie
       from (select * from (${armsSql(arms, filters, limit, bindings)}) arms limit ${limit}) pool
      order by rank desc, tie
      limit ${CANDIDATES}`,
    bindings
  )
  return result.rows
}

/**
 * The question's distinct terms in each text-search configuration its
 * sources use, rarest first, then in the order they were asked; and about
 * how many passages hold the commonest of them. Both come from the
 * statistics ANALYZE keeps on a tsvector column (the share of passages
 * holding each frequent term): a term it does not list is rarer than all
 * those it does, and before the first ANALYZE all terms are alike.
 */
async function questionTerms(trx: TransactionClientContract, text: string) {
  const result = await trx.rawQuery(
    `with stats as (
       select most_common_elems::text::text[] as lexemes, most_common_elem_freqs as freqs
         from pg_stats
        where schemaname = current_schema() and tablename = 'knowledge_chunks' and attname = 'tsv'
     ), frequency as (
       select f.lexeme, f.freq from stats, unnest(stats.lexemes, stats.freqs) as f(lexeme, freq)
     )
     select l.language as cfg, q.lexemes,
            q.commonest * greatest((select reltuples from pg_class
                                     where oid = 'knowledge_chunks'::regclass), 0) as commonest
       from (select distinct language from knowledge_sources
              where live_version is not null and language = any(?::text[])) l,
            lateral (
              select array_agg(t.lexeme order by coalesce(f.freq, 0), t.positions[1], t.lexeme)
                       as lexemes,
                     coalesce(max(f.freq), 0) as commonest
                from unnest(to_tsvector(l.language::regconfig, ${normalizeArabicSql('?::text')})) t
                left join frequency f on f.lexeme = t.lexeme
            ) q
      where q.lexemes is not null`,
    [[...TEXT_CONFIGS], text]
  )
  const rows = result.rows as Array<{ cfg: string; lexemes: string[]; commonest: number }>
  const synonyms = await synonymLexemes(
    trx,
    text,
    rows.map((row) => row.cfg)
  )
  return {
    terms: rows.map(({ cfg, lexemes }) => ({
      cfg,
      lexemes: lexemes.slice(0, MAX_TERMS).map((lexeme) => {
        const others = synonyms.get(`${cfg}:${lexeme}`)
        return others ? [lexeme, ...[...others].filter((other) => other !== lexeme)] : [lexeme]
      }),
    })),
    commonest: Math.max(0, ...rows.map((row) => Number(row.commonest))),
  }
}

/**
 * The lexicon's synonyms of the question's words as each configuration
 * stems them, keyed by configuration and the word's own lexeme: the
 * full-text side then matches a question's "quit" in a passage saying
 * "cancel", as the local embedder's synonym features do on the vector side.
 */
async function synonymLexemes(trx: TransactionClientContract, text: string, configs: string[]) {
  const found = new Map<string, Set<string>>()
  const words = synonymWordsByWord(text)
  if (words.length === 0 || configs.length === 0) return found
  const result = await trx.rawQuery(
    `select cfg, array(select lexeme from unnest(to_tsvector(cfg::regconfig, ${normalizeArabicSql('w.word')}))) as own,
            array(select lexeme from unnest(to_tsvector(cfg::regconfig, ${normalizeArabicSql('w.synonyms')}))) as synonyms
       from unnest(?::text[]) as cfg, unnest(?::text[], ?::text[]) as w(word, synonyms)`,
    [configs, words.map((w) => w.word), words.map((w) => w.synonyms.join(' '))]
  )
  for (const row of result.rows as Array<{ cfg: string; own: string[]; synonyms: string[] }>) {
    for (const lexeme of row.own) {
      const key = `${row.cfg}:${lexeme}`
      const known = found.get(key) ?? new Set<string>()
      for (const synonym of row.synonyms) known.add(synonym)
      found.set(key, known)
    }
  }
  return found
}

function allOf(lexemes: string[][]) {
  return lexemes.map(termOperand).join(' & ')
}

/** One term of the question: its lexeme, or any of its synonyms' ("cancel" | "quit"). */
function termOperand(term: string[]) {
  return term.length === 1 ? tsLiteral(term[0]) : `(${anyOf(term)})`
}

function anyOf(lexemes: string[]) {
  return lexemes.map(tsLiteral).join(' | ')
}

/** A lexeme as a tsquery operand: quoted, so no character of it is an operator. */
function tsLiteral(lexeme: string) {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`
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
