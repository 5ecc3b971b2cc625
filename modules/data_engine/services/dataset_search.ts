import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { contentTerms } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import type { Dataset } from './dataset_service.js'
import {
  embedRows,
  filterSql,
  recordFrom,
  rowsByIds,
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

let iterativeScan: boolean | null = null

async function supportsIterativeScan(trx: TransactionClientContract) {
  if (iterativeScan === null) {
    const result = await trx.rawQuery(
      `select extversion from pg_extension where extname = 'vector'`
    )
    const [major, minor] = String(result.rows[0]?.extversion ?? '0.0')
      .split('.')
      .map(Number)
    iterativeScan = major > 0 || minor >= 8
  }
  return iterativeScan
}

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

  const results = await tenant.transaction(async (trx) => {
    const bindings: unknown[] = []
    const where = filters
      .map((filter) => filterSql(dataset.columns, filter, bindings))
      .filter(Boolean) as string[]
    const table = dataset.rowTable
    if (!terms.length && !vectorUsable) {
      const rows = await trx.rawQuery(
        `select id, row_key, ${dataset.columns.map((c) => c.slot).join(', ')} from ${table}
          ${where.length ? `where ${where.join(' and ')}` : ''} order by id limit ${k}`,
        bindings as any[]
      )
      return rows.rows.map((row: any, i: number) => ({
        row: recordFrom(dataset.columns, row),
        score: 1 / (RRF_K + i + 1),
      })) as DatasetHit[]
    }
    const lexical: number[] = []
    if (terms.length) {
      const tsquery = terms.map((term) => `'${term.replace(/'/g, "''")}'`).join(' | ')
      const lexBindings = [...bindings, tsquery, tsquery]
      const rows = await trx.rawQuery(
        `select id from ${table}
          where tsv @@ to_tsquery('simple', ?) ${where.length ? `and ${where.join(' and ')}` : ''}
          order by ts_rank_cd(tsv, to_tsquery('simple', ?)) desc, id limit ${CANDIDATES}`,
        reorder(lexBindings, bindings.length) as any[]
      )
      lexical.push(...rows.rows.map((row: any) => Number(row.id)))
    }
    const nearest: number[] = []
    if (vectorUsable) {
      if (await supportsIterativeScan(trx)) {
        await trx.rawQuery(`set local hnsw.iterative_scan = relaxed_order`)
      }
      await trx.rawQuery(`set local hnsw.ef_search = ${EF_SEARCH}`)
      const rows = await trx.rawQuery(
        `select id from (
           select id, embedding <=> ?::vector as distance from ${table}
            where embedding is not null ${where.length ? `and ${where.join(' and ')}` : ''}
            order by distance limit ${CANDIDATES}
         ) nearest order by distance, id`,
        [vectorText(vector), ...bindings] as any[]
      )
      nearest.push(...rows.rows.map((row: any) => Number(row.id)))
    }
    const fused = new Map<number, number>()
    lexical.forEach((id, i) => fused.set(id, (fused.get(id) ?? 0) + 1 / (RRF_K + i + 1)))
    nearest.forEach((id, i) => fused.set(id, (fused.get(id) ?? 0) + 1 / (RRF_K + i + 1)))
    const top = [...fused.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k)
    const rows = await rowsByIds(
      trx,
      table,
      dataset.columns,
      top.map(([id]) => id)
    )
    const scores = new Map(top)
    return rows.map((row) => ({ row, score: scores.get(row.id)! }))
  })

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
 * The lexical statement reads the query first and the filters after, while
 * the bindings were collected filters first: move the two query bindings
 * to the front.
 */
function reorder(bindings: unknown[], filterCount: number) {
  return [bindings[filterCount], ...bindings.slice(0, filterCount), bindings[filterCount + 1]]
}
