import { contentTerms } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import type { Dataset } from './dataset_service.js'
import db from '@adonisjs/lucid/services/db'
import {
  checkTable,
  embedRows,
  filterSql,
  recordFrom,
  vectorText,
  type Filter,
  type RowRecord,
} from './row_table.js'
import { checkFilter, isDropped, parseQuery, type DroppedFilter } from './query_parser.js'
import { proposeFilters } from './model_filters.js'

export interface DatasetSearchOptions {
  /** Filters given as data (the API's `filters`), merged with the parsed ones. */
  filters?: unknown[]
  k?: number
  /** Parsed filters the person removed (chips), by index in the parse. */
  without?: number[]
  /** Ask the configured chat model for filters too (when one is set). */
  useModel?: boolean
}

export interface DatasetHit {
  row: RowRecord
  /** Reciprocal rank fusion over full text and vectors (1/(60+rank) each); filter-only ranks by order. */
  score: number
}

export interface DatasetSearchResult {
  parsedFilters: Filter[]
  /** Filters in force: the parsed ones not removed, and those given. */
  filters: Filter[]
  dropped: DroppedFilter[]
  rest: string
  results: DatasetHit[]
  total: number | null
  mode: 'offline' | 'model'
}

export const RRF_K = 60
export const DEFAULT_K = 10
export const MAX_K = 50
/** Candidates each retriever gives the fusion (as the brain's search); k is at most 50. */
const CANDIDATES = 50
const EF_SEARCH = 64

/**
 * Natural-language search over a dataset: the question's filters (parsed
 * from the dataset's schema, and proposed by the chat model when asked),
 * then the rows that pass them ranked by full text and by vector over their
 * searchable columns, fused by reciprocal rank. Without words left to rank
 * by, the filtered rows come in their order.
 */
export async function searchDataset(
  tenant: TenantContext,
  dataset: Dataset,
  query: string,
  options: DatasetSearchOptions = {}
): Promise<DatasetSearchResult> {
  const k = Math.min(Math.max(Math.trunc(options.k ?? DEFAULT_K), 1), MAX_K)
  const parsed = parseQuery(query, dataset.columns)
  let mode: DatasetSearchResult['mode'] = 'offline'
  const dropped = [...parsed.dropped]
  let parsedFilters = parsed.filters
  if (options.useModel) {
    const proposal = await proposeFilters(dataset, query)
    if (proposal) {
      mode = 'model'
      dropped.push(...proposal.dropped)
      // The model adds what the offline parse missed; on a column both read, the offline parse stands.
      for (const filter of proposal.filters) {
        if (!parsedFilters.some((f) => f.column === filter.column)) {
          parsedFilters = [...parsedFilters, filter]
        }
      }
    }
  }
  const removed = new Set(options.without ?? [])
  const filters = parsedFilters.filter((_, i) => !removed.has(i))
  for (const given of options.filters ?? []) {
    const checked = checkFilter(dataset.columns, (given ?? {}) as any)
    if (isDropped(checked)) dropped.push(checked)
    else filters.push(checked)
  }

  const terms = contentTerms(parsed.rest)
  const [vector] = parsed.rest ? await embedRows([parsed.rest]) : [[]]
  const vectorUsable = vector.some((value) => value !== 0)

  const extension = vectorUsable ? await vectorExtension() : null
  const statement = searchStatement(tenant, dataset, filters, {
    tsquery: terms.length ? terms.map((term) => `'${term.replace(/'/g, "''")}'`).join(' | ') : null,
    vector: vectorUsable ? vectorText(vector) : null,
    vectorSchema: extension?.schema ?? null,
    k,
  })
  // One statement, one round trip. Unfiltered vector ranking reads the
  // HNSW index alone, for its CANDIDATES nearest: its ef_search is SET
  // LOCAL, so that one takes a transaction (BEGIN, SET, SET, the statement,
  // COMMIT). Filtered, the index only adds to the exact ranking, at the
  // server's ef_search.
  const found =
    statement.vector && !filters.length
      ? await tenant.transaction(async (trx) => {
          await trx.rawQuery(extension!.settings)
          return trx.rawQuery(statement.sql, statement.bindings as any[])
        })
      : await db.rawQuery(statement.sql, statement.bindings as any[])
  // Filter-only rows rank by their order, as a single retriever's would.
  const results: DatasetHit[] = found.rows.map((row: any, i: number) => ({
    row: recordFrom(dataset.columns, row),
    score: row.score === undefined ? 1 / (RRF_K + i + 1) : Number(row.score),
  }))

  return {
    parsedFilters,
    filters,
    dropped,
    rest: parsed.rest,
    results,
    total: null,
    mode,
  }
}

/**
 * Up to this many rows passing the filters are all ranked exactly by
 * vector (a thousand distances cost less than an index walk that throws
 * most of what it visits away). Past it, the first EXACT_BOUND + 1 of them
 * and those among the HNSW index's nearest ef_search are.
 */
export const EXACT_BOUND = 1000

/**
 * The whole search as one statement: the filters, full-text ranking (top
 * CANDIDATES), vector ranking (top CANDIDATES: exact over the filtered
 * rows when at most EXACT_BOUND pass, else the HNSW index), fused by
 * reciprocal rank, and the k rows read with their scores. Without words
 * to rank by, the filtered rows come in their order.
 */
export function searchStatement(
  tenant: TenantContext,
  dataset: Dataset,
  filters: Filter[],
  options: {
    tsquery: string | null
    vector: string | null
    /** The schema pgvector is in, quoted: its type and operator are named with it. */
    vectorSchema: string | null
    k: number
  }
) {
  const table = tenant.table(checkTable(dataset.rowTable))
  const slots = dataset.columns.map((c) => `t.${c.slot}`).join(', ')
  const bindings: unknown[] = []
  // Each use of the filters binds their values again, in the order written.
  const where = (prefix: string) => {
    const parts = filters
      .map((filter) => filterSql(dataset.columns, filter, bindings))
      .filter(Boolean) as string[]
    return parts.length ? `${prefix} ${parts.join(' and ')}` : ''
  }
  const { tsquery, vector, k } = options
  const vectorType = `${options.vectorSchema ?? 'public'}.vector`
  const distance = `operator(${options.vectorSchema ?? 'public'}.<=>)`
  if (!tsquery && !vector) {
    const sql = `select t.id, t.row_key, ${slots} from ${table} t ${where('where')}
      order by t.id limit ${k}`
    return { sql, bindings, vector: false }
  }
  const ctes: string[] = []
  const ranked: string[] = []
  if (tsquery) {
    bindings.push(tsquery)
    const filtered = where('and')
    ctes.push(`lexical as (
      select id, row_number() over (order by rank desc, id) as rank from (
        select t.id, ts_rank_cd(t.tsv, q) as rank from ${table} t, to_tsquery('simple', ?) q
         where t.tsv @@ q ${filtered} order by rank desc, t.id limit ${CANDIDATES}) l)`)
    ranked.push('select id, rank from lexical')
  }
  if (vector) {
    // Filtered: every passing row ranked exactly when at most EXACT_BOUND
    // pass; else the first EXACT_BOUND + 1 ranked exactly, with the passing
    // rows among the index's nearest ef_search (the server's: 40 unless
    // set). Both bounded, never a long walk.
    let exact = ''
    let gate = ''
    if (filters.length) {
      ctes.push(`filtered as materialized (
        select t.id, t.embedding from ${table} t where t.embedding is not null ${where('and')}
         limit ${EXACT_BOUND + 1}),
        passed as materialized (select count(*) as n from filtered)`)
      bindings.push(vector)
      exact = `select id, embedding ${distance} ?::${vectorType} as distance from filtered union all `
      gate = `and (select n from passed) > ${EXACT_BOUND}`
    }
    bindings.push(vector)
    const indexed = `select id, distance from (
          select t.id, t.embedding ${distance} ?::${vectorType} as distance from ${table} t
           where t.embedding is not null ${gate} ${where('and')}
           order by distance limit ${CANDIDATES}) h`
    ctes.push(`nearest as (
      select id, row_number() over (order by distance, id) as rank from (
        select id, min(distance) as distance from (${exact}${indexed}) u
         group by id order by distance, id limit ${CANDIDATES}) n)`)
    ranked.push('select id, rank from nearest')
  }
  ctes.push(`fused as (
    select id, sum(1.0::float8 / (${RRF_K} + rank)) as score from (${ranked.join(' union all ')}) r
     group by id order by score desc, id limit ${k})`)
  const sql = `with ${ctes.join(',\n')}
    select t.id, t.row_key, ${slots}, f.score from fused f join ${table} t on t.id = f.id
     order by f.score desc, t.id`
  return { sql, bindings, vector: !!vector }
}

let extensionFound: { schema: string; settings: string } | null = null

/**
 * Where pgvector is installed (our platform migration puts it in
 * `extensions`; a server that had it before keeps it elsewhere), and the
 * HNSW settings for an unfiltered search's transaction, as one statement.
 */
async function vectorExtension() {
  if (!extensionFound) {
    const result = await db.rawQuery(
      `select n.nspname as schema, e.extversion as version from pg_extension e
         join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector'`
    )
    const row = result.rows[0] ?? { schema: 'public', version: '0.0' }
    const [major, minor] = String(row.version).split('.').map(Number)
    // No iterative scans (pgvector 0.8): a filtered walk that went on until
    // enough rows passed was the slow tail; the exact ranking covers it.
    const iterative = major > 0 || minor >= 8
    extensionFound = {
      schema: `"${String(row.schema).replaceAll('"', '""')}"`,
      settings: [
        `set local hnsw.ef_search = ${EF_SEARCH}`,
        ...(iterative ? [`set local hnsw.iterative_scan = off`] : []),
      ].join('; '),
    }
  }
  return extensionFound
}
