import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import {
  contentTerms,
  isStopWord,
  lexicalWords,
  synonymGroupsOf,
  SYNONYM_WEIGHT,
  tokenize,
  type Token,
} from '#modules/brain/index'
import {
  NUMERIC_TYPES,
  sqlTypeOf,
  type ColumnType,
  type DatasetColumn,
  type TypedValue,
} from './column_types.js'

/*
| Each dataset's rows live in a table of their own in the tenant schema
| (dsr_<hex>): one typed column per dataset column (c1, c2, ...), the key
| for upserts, the words full-text search reads and the row's vector. A
| filter is then a plain comparison on a typed column with a btree index,
| and deleting the dataset is one DROP TABLE.
*/

/**
 * Row vectors are the local embedder's 512 dimensions folded to 128 (each
 * dimension the sum of four, then normalised again): a row is a few words,
 * which leave most of 512 hashed buckets empty, and a quarter of the size
 * makes the HNSW index build four times faster and an import fit its
 * minute at 100,000 rows. Lexical still (see LocalEmbedder), never semantic.
 */
export const ROW_DIMENSIONS = 128

export async function embedRows(texts: string[]): Promise<number[][]> {
  return texts.map((text) => embedRow(text))
}

/*
| The local embedder's vector (see LocalEmbedder.embedOne: words, word
| pairs, 3- to 5-letter pieces and synonym groups, hashed with FNV-1a into
| 512 signed buckets, log-weighted, normalised), folded to ROW_DIMENSIONS, computed
| without building a string per feature: each feature's hash runs over its
| characters in place. An import makes 100,000 of these, a few million
| features; the strings and their Map were most of its garbage. Features
| are told apart by their 32-bit hash (two strings sharing one would add
| their counts; at a row's hundred features, a chance in tens of millions).
*/
const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const LOCAL_DIMENSIONS = 512

function fnvChar(hash: number, code: number) {
  return Math.imul(hash ^ code, FNV_PRIME)
}

function fnvText(hash: number, text: string, from = 0, to = text.length) {
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME)
  return hash
}

const PREFIX_W = fnvText(FNV_OFFSET, 'w:')
const PREFIX_B = fnvText(FNV_OFFSET, 'b:')
const PREFIX_C = fnvText(FNV_OFFSET, 'c:')
const PREFIX_G = fnvText(FNV_OFFSET, 'g:')
const SPACE = 32
const OPEN = 60 // <
const CLOSE = 62 // >

/*
| A row's features and their counts, in an open-addressing table of typed
| arrays reused from row to row (a Map per row was most of an import's
| time: a few hundred features a row, 100,000 rows). A cell belongs to the
| current row when its stamp is the row's; `firstMet` keeps the features in
| the order first met, so the sums below add up exactly as before.
*/
let tableMask = 4095
let tableKeys = new Uint32Array(tableMask + 1)
let tableCounts = new Float64Array(tableMask + 1)
let tableStamps = new Uint32Array(tableMask + 1)
let firstMet = new Uint32Array(tableMask + 1)
let stamp = 0
let featureCount = 0

function slotOf(key: number) {
  let cell = (Math.imul(key, 0x9e3779b1) >>> 0) & tableMask
  while (tableStamps[cell] === stamp && tableKeys[cell] !== key) cell = (cell + 1) & tableMask
  return cell
}

function growTable() {
  const keys = Array.from(firstMet.subarray(0, featureCount), (cell) => tableKeys[cell])
  const counts = Array.from(firstMet.subarray(0, featureCount), (cell) => tableCounts[cell])
  tableMask = tableMask * 2 + 1
  tableKeys = new Uint32Array(tableMask + 1)
  tableCounts = new Float64Array(tableMask + 1)
  tableStamps = new Uint32Array(tableMask + 1)
  firstMet = new Uint32Array(tableMask + 1)
  for (const [n, key] of keys.entries()) {
    const cell = slotOf(key)
    tableStamps[cell] = stamp
    tableKeys[cell] = key
    tableCounts[cell] = counts[n]
    firstMet[n] = cell
  }
}

function addFeature(hash: number, weight: number) {
  const key = hash >>> 0
  const cell = slotOf(key)
  if (tableStamps[cell] === stamp) {
    tableCounts[cell] += weight
    return
  }
  tableStamps[cell] = stamp
  tableKeys[cell] = key
  tableCounts[cell] = weight
  firstMet[featureCount++] = cell
  // Kept at most half full, so probes stay short.
  if (featureCount * 2 > tableMask) growTable()
}

/**
 * A row's vector. `tokens` are the text's tokens when the caller has them
 * already (prepareRows tokenises each row once for its vector and its words).
 */
export function embedRow(text: string, tokens: Token[] = tokenize(text)): number[] {
  const words = lexicalWords(text).filter((word) => !isStopWord(word))
  stamp = stamp === 0xffffffff ? 1 : stamp + 1
  if (stamp === 1) tableStamps.fill(0)
  featureCount = 0
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    addFeature(fnvText(PREFIX_W, word), 1)
    if (i + 1 < words.length) {
      addFeature(fnvText(fnvChar(fnvText(PREFIX_B, word), SPACE), words[i + 1]), 0.5)
    }
    // The pieces of `<word>`, its edges marked; position p of the padded word.
    const length = word.length + 2
    for (let n = 3; n <= 5; n++) {
      for (let at = 0; at + n <= length; at++) {
        let hash = PREFIX_C
        for (let p = at; p < at + n; p++) {
          hash = fnvChar(hash, p === 0 ? OPEN : p === length - 1 ? CLOSE : word.charCodeAt(p - 1))
        }
        addFeature(hash, 0.25)
      }
    }
  }
  // The lexicon's synonym groups, as the local embedder (v3) adds them.
  for (const token of tokens) {
    if (!token.content) continue
    for (const group of synonymGroupsOf(token.stem)) {
      addFeature(fnvText(PREFIX_G, String(group)), SYNONYM_WEIGHT)
    }
  }
  // Straight into the folded buckets: bucket b of 512 lands in b % 128.
  const folded = new Float64Array(ROW_DIMENSIONS)
  let norm512 = 0
  const wide = new Float64Array(LOCAL_DIMENSIONS)
  for (let n = 0; n < featureCount; n++) {
    const cell = firstMet[n]
    const hash = tableKeys[cell]
    const sign = hash & 0x80000000 ? -1 : 1
    wide[hash % LOCAL_DIMENSIONS] += sign * (1 + Math.log(1 + tableCounts[cell]))
  }
  for (let i = 0; i < LOCAL_DIMENSIONS; i++) norm512 += wide[i] * wide[i]
  norm512 = Math.sqrt(norm512)
  if (!norm512) return Array.from(folded)
  for (let i = 0; i < LOCAL_DIMENSIONS; i++) folded[i % ROW_DIMENSIONS] += wide[i] / norm512
  let norm = 0
  for (let i = 0; i < ROW_DIMENSIONS; i++) norm += folded[i] * folded[i]
  norm = Math.sqrt(norm)
  return Array.from(folded, (value) => (norm > 0 ? value / norm : value))
}

/** A row's words for full text: its content stems, each once (contentTerms, from tokens). */
function searchWords(tokens: Token[]) {
  return [...new Set(tokens.filter((token) => token.content).map((token) => token.stem))].join(' ')
}

/** A vector as pgvector reads it, short: zeros as 0, four decimals. */
export function vectorText(vector: number[]) {
  let out = '['
  for (const [i, v] of vector.entries()) {
    if (i) out += ','
    out += v === 0 ? '0' : v.toFixed(4)
  }
  return `${out}]`
}

export interface RowRecord {
  id: number
  key: string | null
  values: Record<string, TypedValue>
}

export type FilterOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'between' | 'contains' | 'in'
export const FILTER_OPS: FilterOp[] = [
  'eq',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
  'between',
  'contains',
  'in',
]

/** A filter on a column, by its name, with a typed value. */
export interface Filter {
  column: string
  op: FilterOp
  value: TypedValue | TypedValue[]
}

const SLOT_RE = /^c\d{1,3}$/
const TABLE_RE = /^dsr_[0-9a-f]{12,32}$/

export function checkTable(name: string) {
  if (!TABLE_RE.test(name)) throw new Error(`Not a dataset row table: ${name}`)
  return name
}

function slot(column: DatasetColumn) {
  if (!SLOT_RE.test(column.slot)) throw new Error(`Not a column slot: ${column.slot}`)
  return column.slot
}

/** Indexes a filterable column gets: the value (lower-cased for words). */
function indexStatements(table: string, column: DatasetColumn) {
  const name = `${table}_${slot(column)}`
  if (!column.filterable) return []
  if (column.type === 'text' || column.type === 'url' || column.type === 'image_url') return []
  if (column.type === 'choice' || column.type === 'phone') {
    return [`create index if not exists ${name} on ${table} (lower(${column.slot}))`]
  }
  return [`create index if not exists ${name} on ${table} (${column.slot})`]
}

export async function createRowTable(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[]
) {
  checkTable(table)
  const typed = columns.map((column) => `${slot(column)} ${sqlTypeOf(column.type)}`)
  await trx.rawQuery(
    `create table ${table} (
       id bigserial primary key,
       row_key text unique,
       ${typed.map((line) => `${line},`).join('\n')}
       search_text text not null default '',
       tsv tsvector generated always as (to_tsvector('simple', search_text)) stored,
       embedding vector(${ROW_DIMENSIONS}),
       updated_at timestamptz not null default now()
     )`
  )
  await trx.rawQuery(`create index ${table}_tsv on ${table} using gin (tsv)`)
  for (const column of columns) {
    for (const statement of indexStatements(table, column)) await trx.rawQuery(statement)
  }
}

/** Indexes follow the filterable flags: added when one is set, dropped when cleared. */
export async function syncIndexes(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[]
) {
  checkTable(table)
  for (const column of columns) {
    if (column.filterable) {
      for (const statement of indexStatements(table, column)) await trx.rawQuery(statement)
    } else {
      await trx.rawQuery(`drop index if exists ${table}_${slot(column)}`)
    }
  }
}

/**
 * A bulk import into an empty table loads faster without its full-text and
 * filter indexes, built once at the end from the whole table (sorted
 * builds) instead of growing row by row; the key's unique index stays for
 * the upserts.
 */
export async function dropSecondaryIndexes(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[]
) {
  checkTable(table)
  await trx.rawQuery(`drop index if exists ${table}_tsv`)
  for (const column of columns) await trx.rawQuery(`drop index if exists ${table}_${slot(column)}`)
}

/** The full-text and filter indexes (no-ops when they are there). */
export async function buildSecondaryIndexes(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[]
) {
  checkTable(table)
  await trx.rawQuery(`set local maintenance_work_mem = '256MB'`)
  await trx.rawQuery(`create index if not exists ${table}_tsv on ${table} using gin (tsv)`)
  await syncIndexes(trx, table, columns)
}

/**
 * The vector index, built once rows are in (building it over a full table
 * is several times faster than growing it row by row).
 */
export async function buildVectorIndex(trx: TransactionClientContract, table: string) {
  checkTable(table)
  // The graph of 100,000 rows fits in memory with room to spare; the default 64 MB does not.
  await trx.rawQuery(`set local maintenance_work_mem = '512MB'`)
  await trx.rawQuery(`set local max_parallel_maintenance_workers = 2`)
  await trx.rawQuery(
    `create index if not exists ${table}_embedding on ${table}
       using hnsw (embedding vector_cosine_ops) with (m = 12, ef_construction = 40)`
  )
}

export async function dropRowTable(trx: TransactionClientContract, table: string) {
  await trx.rawQuery(`drop table if exists ${checkTable(table)}`)
}

/** The words full-text search and the vector read from a row: its searchable values. */
export function searchableText(columns: DatasetColumn[], values: Record<string, TypedValue>) {
  return columns
    .filter((column) => column.searchable && values[column.name] !== null)
    .map((column) => values[column.name])
    .filter((value) => value !== undefined && value !== '')
    .join(' · ')
}

export interface PreparedRow {
  key: string | null
  values: Record<string, TypedValue>
}

function arrayTypeOf(type: ColumnType) {
  return `${sqlTypeOf(type).replace(/\(.*\)/, '')}[]`
}

/** Rows made ready to write: deduplicated by key, with their search words and vectors. */
export interface RowBatch {
  params: unknown[]
  size: number
}

/**
 * The CPU half of a write (search words and vectors), apart from the
 * database half so an import computes one batch while the last is written.
 */
export async function prepareRows(
  columns: DatasetColumn[],
  rows: PreparedRow[]
): Promise<RowBatch> {
  // A key twice in one batch: the later row wins, as it would row by row.
  const byKey = new Map<string, PreparedRow>()
  const keyless: PreparedRow[] = []
  for (const row of rows) {
    if (row.key === null) keyless.push(row)
    else byKey.set(row.key, row)
  }
  const unique = [...keyless, ...byKey.values()]
  const texts = unique.map((row) => searchableText(columns, row.values))
  const tokenLists = texts.map((text) => tokenize(text))
  const vectors = texts.map((text, n) => embedRow(text, tokenLists[n]))
  const searchText = tokenLists.map(searchWords)
  const params: unknown[] = [
    unique.map((row) => row.key),
    ...columns.map((column) => unique.map((row) => row.values[column.name] ?? null)),
    searchText,
    vectors.map((vector) => (vector.some((v) => v !== 0) ? vectorText(vector) : null)),
  ]
  return { params, size: unique.length }
}

/**
 * Writes prepared rows, inserting new keys and updating known ones (rows
 * without a key are always inserted). One statement per batch, each column
 * sent as one array parameter. Returns how many were inserted and updated.
 */
export async function writeRows(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[],
  batch: RowBatch
) {
  checkTable(table)
  if (batch.size === 0) return { inserted: 0, updated: 0 }
  const names = ['row_key', ...columns.map(slot), 'search_text', 'embedding']
  const types = ['text[]', ...columns.map((c) => arrayTypeOf(c.type)), 'text[]', 'text[]']
  const selects = names.map((name) => (name === 'embedding' ? `${name}::vector` : name))
  const updates = names
    .filter((name) => name !== 'row_key')
    .map((name) => `${name} = excluded.${name}`)
  const result = await trx.rawQuery(
    `insert into ${table} (${names.join(', ')})
     select ${selects.join(', ')}
       from unnest(${types.map((type) => `?::${type}`).join(', ')}) as u(${names.join(', ')})
     on conflict (row_key) do update set ${updates.join(', ')}, updated_at = now()
     returning (xmax = 0) as inserted`,
    batch.params as any[]
  )
  const inserted = result.rows.filter((row: any) => row.inserted).length
  return { inserted, updated: result.rows.length - inserted }
}

export async function upsertRows(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[],
  rows: PreparedRow[]
) {
  return writeRows(trx, table, columns, await prepareRows(columns, rows))
}

function fromDb(column: DatasetColumn, value: unknown): TypedValue {
  if (value === null || value === undefined) return null
  if (NUMERIC_TYPES.includes(column.type)) return Number(value)
  if (column.type === 'date') {
    return value instanceof Date
      ? `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`
      : String(value).slice(0, 10)
  }
  return value as TypedValue
}

export function recordFrom(columns: DatasetColumn[], row: any): RowRecord {
  const values: Record<string, TypedValue> = {}
  for (const column of columns) values[column.name] = fromDb(column, row[column.slot])
  return { id: Number(row.id), key: row.row_key ?? null, values }
}

/** A filter as SQL over the row table, with its bindings ($n numbered from `start`). */
export function filterSql(
  columns: DatasetColumn[],
  filter: Filter,
  bindings: unknown[]
): string | null {
  const column = columns.find((c) => c.name === filter.column)
  if (!column) return null
  const ref = slot(column)
  const bind = (value: unknown) => {
    bindings.push(value)
    return '?'
  }
  const cast = `::${sqlTypeOf(column.type).replace(/\(.*\)/, '')}`
  const textual = column.type === 'choice' || column.type === 'phone'
  const left = textual ? `lower(${ref})` : ref
  const value = (v: unknown) => (textual ? String(v).toLowerCase() : v)
  switch (filter.op) {
    case 'eq':
      if (column.type === 'text' || column.type === 'url' || column.type === 'image_url') {
        return `lower(${ref}) = ${bind(String(filter.value).toLowerCase())}`
      }
      return `${left} = ${bind(value(filter.value))}${textual ? '' : cast}`
    case 'neq':
      return `${left} is distinct from ${bind(value(filter.value))}${textual ? '' : cast}`
    case 'lt':
      return `${ref} < ${bind(filter.value)}${cast}`
    case 'lte':
      return `${ref} <= ${bind(filter.value)}${cast}`
    case 'gt':
      return `${ref} > ${bind(filter.value)}${cast}`
    case 'gte':
      return `${ref} >= ${bind(filter.value)}${cast}`
    case 'between': {
      const [low, high] = filter.value as TypedValue[]
      return `${ref} between ${bind(low)}${cast} and ${bind(high)}${cast}`
    }
    case 'in': {
      const list = (filter.value as TypedValue[]).map((v) => value(v))
      return `${left} = any(${bind(list)}${textual ? '::text[]' : `${cast}[]`})`
    }
    case 'contains': {
      const escaped = String(filter.value).replace(/[\\%_]/g, (char) => `\\${char}`)
      return `${ref}::text ilike ${bind(`%${escaped}%`)}`
    }
  }
}

export interface BrowseOptions {
  filters: Filter[]
  sort?: { column: string; direction: 'asc' | 'desc' } | null
  limit: number
  offset: number
}

/** A page of rows matching the filters, in the asked order (else as written), and their count. */
export async function browseRows(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[],
  options: BrowseOptions
) {
  checkTable(table)
  const bindings: unknown[] = []
  const where = options.filters
    .map((filter) => filterSql(columns, filter, bindings))
    .filter(Boolean)
  const whereSql = where.length ? `where ${where.join(' and ')}` : ''
  const sortColumn = options.sort ? columns.find((c) => c.name === options.sort!.column) : null
  const order = sortColumn
    ? `${slot(sortColumn)} ${options.sort!.direction === 'desc' ? 'desc' : 'asc'} nulls last, id`
    : 'id'
  const count = await trx.rawQuery(
    `select count(*)::int as n from ${table} ${whereSql}`,
    bindings as any[]
  )
  const rows = await trx.rawQuery(
    `select id, row_key, ${columns.map(slot).join(', ')} from ${table} ${whereSql}
      order by ${order} limit ${Math.trunc(options.limit)} offset ${Math.trunc(options.offset)}`,
    bindings as any[]
  )
  return {
    total: count.rows[0].n as number,
    rows: rows.rows.map((row: any) => recordFrom(columns, row)) as RowRecord[],
  }
}

export async function findRow(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[],
  id: number
) {
  checkTable(table)
  const result = await trx.rawQuery(
    `select id, row_key, ${columns.map(slot).join(', ')} from ${table} where id = ?`,
    [id]
  )
  return result.rows[0] ? recordFrom(columns, result.rows[0]) : null
}

export async function rowsByIds(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[],
  ids: number[]
) {
  checkTable(table)
  if (ids.length === 0) return []
  const result = await trx.rawQuery(
    `select id, row_key, ${columns.map(slot).join(', ')} from ${table} where id = any(?::bigint[])`,
    [ids]
  )
  const byId = new Map<number, RowRecord>(
    result.rows.map((row: any) => [Number(row.id), recordFrom(columns, row)])
  )
  return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []))
}

/** Rewrites one row's values (and its search words and vector). */
export async function updateRow(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[],
  id: number,
  values: Record<string, TypedValue>
) {
  checkTable(table)
  const text = searchableText(columns, values)
  const [vector] = await embedRows([text])
  const bindings: unknown[] = []
  const sets = columns.map((column) => {
    bindings.push(values[column.name] ?? null)
    return `${slot(column)} = ?::${sqlTypeOf(column.type).replace(/\(.*\)/, '')}`
  })
  bindings.push(contentTerms(text).join(' '))
  sets.push('search_text = ?')
  bindings.push(vector.some((v) => v !== 0) ? vectorText(vector) : null)
  sets.push('embedding = ?::vector')
  bindings.push(id)
  await trx.rawQuery(
    `update ${table} set ${sets.join(', ')}, updated_at = now() where id = ?`,
    bindings as any[]
  )
}

export async function deleteRow(trx: TransactionClientContract, table: string, id: number) {
  checkTable(table)
  const result = await trx.rawQuery(`delete from ${table} where id = ?`, [id])
  return (result.rowCount ?? 0) > 0
}

/** Rows and bytes (table, indexes, TOAST) of a row table. */
export async function tableStats(trx: TransactionClientContract, table: string) {
  checkTable(table)
  const result = await trx.rawQuery(
    `select (select count(*)::int from ${table}) as rows,
            pg_total_relation_size(to_regclass(?))::bigint as bytes`,
    [table]
  )
  return { rows: result.rows[0].rows as number, bytes: Number(result.rows[0].bytes) }
}

/** Rows after an id, in id order: the API's cursor pages. */
export async function rowsAfter(
  trx: TransactionClientContract,
  table: string,
  columns: DatasetColumn[],
  afterId: number,
  limit: number
) {
  checkTable(table)
  const result = await trx.rawQuery(
    `select id, row_key, ${columns.map(slot).join(', ')} from ${table} where id > ?
      order by id limit ${Math.trunc(limit) + 1}`,
    [afterId]
  )
  const rows: RowRecord[] = result.rows.map((row: any) => recordFrom(columns, row))
  return { rows: rows.slice(0, limit), more: rows.length > limit }
}
