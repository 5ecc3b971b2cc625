import type { LucidModel, ModelQueryBuilderContract } from '@adonisjs/lucid/types/model'
import { ApiError } from '#app/http/api/errors'

export const DEFAULT_PAGE_SIZE = 25
export const MAX_PAGE_SIZE = 100

export interface PageRequest {
  limit: number
  /** Where the previous page ended: its last row's sort key and id. */
  after: { key: string; id: string } | null
}

/**
 * Reads `limit` (1..100, default 25) and `cursor` from a query string; bad
 * values are a 422 naming the parameter.
 */
export function pageRequestFrom(qs: Record<string, unknown>): PageRequest {
  const fields: Record<string, string[]> = {}
  let limit = DEFAULT_PAGE_SIZE
  if (qs.limit !== undefined && qs.limit !== '') {
    const parsed = Number(qs.limit)
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_PAGE_SIZE) {
      fields.limit = [`The limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`]
    } else {
      limit = parsed
    }
  }
  let after: PageRequest['after'] = null
  if (qs.cursor !== undefined && qs.cursor !== '') {
    after = decodeCursor(String(qs.cursor))
    if (!after) fields.cursor = ['The cursor is not one this API returned']
  }
  if (Object.keys(fields).length) {
    throw new ApiError(422, 'validation_failed', 'The request is invalid', fields)
  }
  return { limit, after }
}

/*
| A cursor is base64url JSON of [sort key, id]: opaque to clients, and the
| sort key is the timestamp as Postgres prints it, to the microsecond, since
| a JavaScript Date (milliseconds) would skip or repeat rows created within
| the same millisecond.
*/
export function encodeCursor(key: string, id: string) {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url')
}

export function decodeCursor(cursor: string): PageRequest['after'] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(value[0]) &&
      typeof value[1] === 'string' &&
      /^[0-9a-f-]{36}$/i.test(value[1])
    ) {
      return { key: value[0], id: value[1] }
    }
  } catch {
    // Not base64url JSON: falls through to "not a cursor".
  }
  return null
}

const CURSOR_KEY = 'api_cursor_key'

/**
 * One page of a keyset walk over (timestamp column, id): stable while rows
 * are added or changed, with no duplicates or gaps between pages, and as
 * fast on page 1000 as on page 1. Returns the rows and the cursor of the
 * next page (null on the last).
 */
export async function keysetPage<Model extends LucidModel, Row = InstanceType<Model>>(
  query: ModelQueryBuilderContract<Model, Row>,
  options: { column: 'created_at' | 'updated_at'; direction: 'asc' | 'desc'; page: PageRequest }
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  const table = query.model.table
  const column = `"${table}"."${options.column}"`
  const id = `"${table}"."id"`
  const { page, direction } = options
  query
    .select(`${table}.*`)
    .select(
      query.client.raw(
        `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${CURSOR_KEY}`
      )
    )
    .clearOrder()
    .orderBy(options.column, direction)
    .orderBy(`${table}.id`, direction)
    .limit(page.limit + 1)
  if (page.after) {
    const op = direction === 'desc' ? '<' : '>'
    query.whereRaw(`(${column}, ${id}) ${op} (?::timestamptz, ?::uuid)`, [
      page.after.key,
      page.after.id,
    ])
  }
  return pageOf((await query) as Row[], page.limit)
}

/** A page of `limit` rows read with one more, and the cursor after its last when there is more. */
function pageOf<Row>(rows: Row[], limit: number): { rows: Row[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null }
  rows.length = limit
  // A model keeps the extra column in $extras; a plain row (.pojo()) has it as is.
  const last = rows[rows.length - 1] as Row & {
    id: string
    $extras?: Record<string, string>
  } & Record<string, unknown>
  const key = (last.$extras?.[CURSOR_KEY] ?? last[CURSOR_KEY]) as string
  return { rows, nextCursor: encodeCursor(key, last.id) }
}

/** The list answer every API collection uses. */
export function pageBody(data: unknown[], nextCursor: string | null) {
  return { data, next_cursor: nextCursor }
}

/**
 * One page of a conversation's messages in the customer's order
 * (sort_at: WhatsApp's timestamp, or an outbound message's send time; then
 * seq, arrival, for the same instant), with the same guarantees as
 * keysetPage. The cursor keeps every list's shape ([key, id]); the walk
 * resumes at the named message's own (sort_at, seq), read in the same
 * statement, so a cursor handed out when this list walked created_at still
 * resumes right after the same message. Should that message be gone, the
 * walk resumes at the cursor's instant: rows of that instant may come
 * again, none is skipped.
 */
export async function conversationOrderPage<Model extends LucidModel>(
  query: ModelQueryBuilderContract<Model, InstanceType<Model>>,
  options: { direction: 'asc' | 'desc'; page: PageRequest }
): Promise<{ rows: InstanceType<Model>[]; nextCursor: string | null }> {
  const table = query.model.table
  const { page, direction } = options
  query
    .select(`${table}.*`)
    .select(
      query.client.raw(
        `to_char("${table}"."sort_at" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ${CURSOR_KEY}`
      )
    )
    .clearOrder()
    .orderBy('sort_at', direction)
    .orderBy('seq', direction)
    .limit(page.limit + 1)
  if (page.after) {
    const op = direction === 'desc' ? '<' : '>'
    const missing = direction === 'desc' ? '9223372036854775807' : '0'
    query.whereRaw(
      `("${table}"."sort_at", "${table}"."seq") ${op} (
        coalesce((select a.sort_at from "${table}" a where a.id = ?::uuid), ?::timestamptz),
        coalesce((select a.seq from "${table}" a where a.id = ?::uuid), ?::bigint))`,
      [page.after.id, page.after.key, page.after.id, missing]
    )
  }
  return pageOf((await query) as InstanceType<Model>[], page.limit)
}
