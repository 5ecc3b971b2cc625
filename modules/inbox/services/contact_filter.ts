import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { lastOutboundAtSql } from '#modules/channels/index'
import { keysetPage, type PageRequest } from '#app/http/api/index'
import Contact from '../models/contact.js'
import ContactField from '../models/contact_field.js'

/*
| Saved audiences (pulse's segments) are filters over contacts: tags,
| conversation labels, custom fields, consent, channel, last inbound and
| outbound time, conversation status. A filter compiles to one SQL
| statement in the tenant's schema (a WHERE over `contacts c`, with bound
| values), so counting and listing a segment is one round trip however
| many contacts match; nothing is decided per contact in Node.
*/

export const FILTER_OPS = [
  'eq',
  'neq',
  'lt',
  'gt',
  'between',
  'contains',
  'empty',
  'not_empty',
  'next_days',
  'last_days',
  'older_than_days',
  'has',
  'has_not',
] as const
export type FilterOp = (typeof FILTER_OPS)[number]

export interface FilterCondition {
  /** tag, label, marketing_consent, opt_in, channel, conversation_status, last_inbound, last_outbound, or attr.<key>. */
  field: string
  op: FilterOp
  value?: string | number | boolean | null
  value2?: string | number | null
}

export interface ContactFilter {
  match: 'all' | 'any'
  conditions: FilterCondition[]
}

export const MAX_CONDITIONS = 20

const CONSENT_STATES = ['unknown', 'opted_in', 'opted_out']
const CONVERSATION_STATES = ['open', 'pending', 'snoozed', 'resolved']
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DAY = /^\d{4}-\d{2}-\d{2}$/

/** Which operators each kind of field takes. */
const OPS_BY_KIND: Record<string, readonly FilterOp[]> = {
  tag: ['has', 'has_not'],
  label: ['has', 'has_not'],
  marketing_consent: ['eq', 'neq'],
  opt_in: ['eq', 'neq'],
  channel: ['eq', 'neq'],
  conversation_status: ['eq', 'neq'],
  time: ['last_days', 'older_than_days', 'empty', 'not_empty'],
  text: ['eq', 'neq', 'contains', 'empty', 'not_empty'],
  choice: ['eq', 'neq', 'empty', 'not_empty'],
  number: ['eq', 'neq', 'lt', 'gt', 'between', 'empty', 'not_empty'],
  date: ['eq', 'lt', 'gt', 'between', 'next_days', 'last_days', 'empty', 'not_empty'],
  boolean: ['eq', 'empty', 'not_empty'],
}

const BUILT_IN: Record<string, string> = {
  tag: 'tag',
  label: 'label',
  marketing_consent: 'marketing_consent',
  opt_in: 'opt_in',
  channel: 'channel',
  conversation_status: 'conversation_status',
  last_inbound: 'time',
  last_outbound: 'time',
}

export function opsFor(field: string, fields: ContactField[]): readonly FilterOp[] {
  if (BUILT_IN[field]) return OPS_BY_KIND[BUILT_IN[field]]
  const custom = field.startsWith('attr.')
    ? fields.find((candidate) => candidate.key === field.slice(5))
    : undefined
  return custom ? OPS_BY_KIND[custom.type] : []
}

export type FilterProblem = 'field' | 'op' | 'value' | 'too_many'

/**
 * Normalises a filter as sent (form or JSON) and says what is wrong with
 * each condition, by index. Empty rows (no field) are dropped.
 */
export function checkContactFilter(
  input: { match?: unknown; conditions?: unknown },
  fields: ContactField[]
): { filter: ContactFilter; problems: Record<number, FilterProblem> } {
  const problems: Record<number, FilterProblem> = {}
  const rows = Array.isArray(input.conditions)
    ? input.conditions
    : input.conditions && typeof input.conditions === 'object'
      ? Object.values(input.conditions)
      : []
  const conditions: FilterCondition[] = []
  for (const raw of rows as Array<Record<string, unknown>>) {
    if (!raw || typeof raw !== 'object' || !raw.field) continue
    const index = conditions.length
    const condition: FilterCondition = {
      field: String(raw.field),
      op: String(raw.op ?? '') as FilterOp,
      value: valueOf(raw.value),
      value2: valueOf(raw.value2) as string | number | null,
    }
    conditions.push(condition)
    const ops = opsFor(condition.field, fields)
    if (!ops.length) problems[index] = 'field'
    else if (!ops.includes(condition.op)) problems[index] = 'op'
    else if (!valueFits(condition, fields)) problems[index] = 'value'
  }
  if (conditions.length > MAX_CONDITIONS) problems[MAX_CONDITIONS] = 'too_many'
  return { filter: { match: input.match === 'any' ? 'any' : 'all', conditions }, problems }
}

function valueOf(raw: unknown) {
  if (raw === undefined || raw === null) return null
  if (typeof raw === 'number' || typeof raw === 'boolean') return raw
  const text = String(raw).trim()
  return text === '' ? null : text
}

function valueFits(condition: FilterCondition, fields: ContactField[]): boolean {
  const { op, value, value2 } = condition
  if (op === 'empty' || op === 'not_empty') return true
  if (value === null || value === undefined) return false
  if (['next_days', 'last_days', 'older_than_days'].includes(op)) return wholeNumber(value)
  const kind = BUILT_IN[condition.field] ?? customField(condition.field, fields)?.type
  switch (kind) {
    case 'marketing_consent':
    case 'opt_in':
      return CONSENT_STATES.includes(String(value))
    case 'conversation_status':
      return CONVERSATION_STATES.includes(String(value))
    case 'channel':
      return UUID.test(String(value))
    case 'number':
      return Number.isFinite(Number(value)) && (op !== 'between' || Number.isFinite(Number(value2)))
    case 'date':
      return DAY.test(String(value)) && (op !== 'between' || DAY.test(String(value2 ?? '')))
    case 'boolean':
      return ['true', 'false'].includes(String(value))
    default:
      return String(value).length <= 500
  }
}

function wholeNumber(value: unknown) {
  const number = Number(value)
  return Number.isInteger(number) && number >= 0 && number <= 36_500
}

function customField(field: string, fields: ContactField[]) {
  return field.startsWith('attr.')
    ? fields.find((candidate) => candidate.key === field.slice(5))
    : undefined
}

/**
 * The WHERE clause (over `contacts c`) a checked filter compiles to, with
 * its bindings. A filter without conditions matches every contact.
 */
export function compileContactFilter(
  filter: ContactFilter,
  fields: ContactField[]
): { sql: string; bindings: unknown[] } {
  const parts: string[] = []
  const bindings: unknown[] = []
  for (const condition of filter.conditions) {
    const compiled = compileCondition(condition, fields)
    parts.push(`(${compiled.sql})`)
    bindings.push(...compiled.bindings)
  }
  if (!parts.length) return { sql: 'true', bindings: [] }
  return { sql: parts.join(filter.match === 'any' ? ' or ' : ' and '), bindings }
}

function compileCondition(
  condition: FilterCondition,
  fields: ContactField[]
): { sql: string; bindings: unknown[] } {
  const { op, value, value2 } = condition
  const negate = (sql: string) => (op === 'neq' || op === 'has_not' ? `not (${sql})` : sql)
  switch (condition.field) {
    case 'tag':
      return { sql: negate('? = any(c.tags)'), bindings: [value] }
    case 'label':
      return {
        sql: negate(
          'exists (select 1 from conversations v where v.contact_id = c.id and ? = any(v.labels))'
        ),
        bindings: [value],
      }
    case 'marketing_consent':
      return { sql: negate('c.marketing_consent = ?'), bindings: [value] }
    case 'opt_in':
      return { sql: negate('c.opt_in = ?'), bindings: [value] }
    case 'channel':
      return {
        sql: negate(
          'exists (select 1 from conversations v where v.contact_id = c.id and v.channel_id = ?)'
        ),
        bindings: [value],
      }
    case 'conversation_status':
      return {
        sql: negate(
          'exists (select 1 from conversations v where v.contact_id = c.id and v.status = ?)'
        ),
        bindings: [value],
      }
    case 'last_inbound':
      return timeCondition(
        '(select max(v.last_customer_message_at) from conversations v where v.contact_id = c.id)',
        condition
      )
    case 'last_outbound':
      return timeCondition(`(${lastOutboundAtSql('c.id')})`, condition)
  }
  const field = customField(condition.field, fields)!
  const raw = 'c.attributes ->> ?'
  const key = field.key
  if (op === 'empty') return { sql: `coalesce(${raw}, '') = ''`, bindings: [key] }
  if (op === 'not_empty') return { sql: `coalesce(${raw}, '') <> ''`, bindings: [key] }
  switch (field.type) {
    case 'number': {
      const typed = `(case when jsonb_typeof(c.attributes -> ?) = 'number' then (${raw})::numeric end)`
      return comparison(typed, [key, key], condition, Number(value), Number(value2))
    }
    case 'date': {
      const typed = `(case when (${raw}) ~ '^\\d{4}-\\d{2}-\\d{2}$' then (${raw})::date end)`
      if (op === 'next_days') {
        return {
          sql: `${typed} between current_date and current_date + ?::int`,
          bindings: [key, key, Number(value)],
        }
      }
      if (op === 'last_days') {
        return {
          sql: `${typed} between current_date - ?::int and current_date`,
          bindings: [key, key, Number(value)],
        }
      }
      return comparison(typed, [key, key], condition, value, value2, '::date')
    }
    case 'boolean':
      return {
        sql: 'c.attributes -> ? = ?::jsonb',
        bindings: [key, String(value) === 'true' ? 'true' : 'false'],
      }
    default: {
      if (op === 'contains') {
        return {
          sql: `${raw} ilike ?`,
          bindings: [key, `%${String(value).replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
        }
      }
      return comparison(raw, [key], condition, String(value), null)
    }
  }
}

function comparison(
  expression: string,
  keyBindings: unknown[],
  condition: FilterCondition,
  value: unknown,
  value2: unknown,
  cast = ''
): { sql: string; bindings: unknown[] } {
  switch (condition.op) {
    case 'eq':
      return { sql: `${expression} = ?${cast}`, bindings: [...keyBindings, value] }
    case 'neq':
      return { sql: `${expression} is distinct from ?${cast}`, bindings: [...keyBindings, value] }
    case 'lt':
      return { sql: `${expression} < ?${cast}`, bindings: [...keyBindings, value] }
    case 'gt':
      return { sql: `${expression} > ?${cast}`, bindings: [...keyBindings, value] }
    case 'between':
      return {
        sql: `${expression} between ?${cast} and ?${cast}`,
        bindings: [...keyBindings, value, value2],
      }
    default:
      throw new Error(`Operator ${condition.op} does not apply here`)
  }
}

function timeCondition(expression: string, condition: FilterCondition) {
  switch (condition.op) {
    case 'empty':
      return { sql: `${expression} is null`, bindings: [] }
    case 'not_empty':
      return { sql: `${expression} is not null`, bindings: [] }
    case 'last_days':
      return {
        sql: `${expression} >= now() - make_interval(days => ?::int)`,
        bindings: [Number(condition.value)],
      }
    default:
      return {
        sql: `${expression} < now() - make_interval(days => ?::int)`,
        bindings: [Number(condition.value)],
      }
  }
}

export interface MatchingContact {
  id: string
  name: string | null
  profileName: string | null
  phone: string | null
  timeZone: string | null
  marketingConsent: string
}

/**
 * How many contacts a filter matches and the first `limit` of them (newest
 * first), in one statement: the total is a window count over the matches.
 */
export async function matchContacts(
  tenant: TenantContext,
  filter: ContactFilter,
  options: { limit?: number; fields?: ContactField[] } = {}
): Promise<{ total: number; contacts: MatchingContact[] }> {
  return tenant.transaction(async (trx) => {
    const fields = options.fields ?? (await ContactField.query({ client: trx }))
    const where = compileContactFilter(filter, fields)
    const result = await trx.rawQuery(
      `select c.id, c.name, c.profile_name, c.phone, c.time_zone, c.marketing_consent,
          count(*) over () as total
        from contacts c where ${where.sql}
        order by c.created_at desc, c.id limit ?`,
      [...where.bindings, options.limit ?? 20] as any[]
    )
    const rows = result.rows as Array<Record<string, any>>
    return {
      total: rows.length ? Number(rows[0].total) : 0,
      contacts: rows.map((row) => ({
        id: row.id,
        name: row.name,
        profileName: row.profile_name,
        phone: row.phone,
        timeZone: row.time_zone,
        marketingConsent: row.marketing_consent,
      })),
    }
  })
}

/**
 * A page of a filter's contacts, newest first by cursor (the API's
 * keyset pages), as Contact rows: one statement per page.
 */
export async function pageOfMatchingContacts(
  tenant: TenantContext,
  filter: ContactFilter,
  page: PageRequest
) {
  return tenant.transaction(async (trx) => {
    const fields = await ContactField.query({ client: trx })
    const where = compileContactFilter(filter, fields)
    const query = Contact.query({ client: trx }).whereRaw(
      `id in (select c.id from contacts c where ${where.sql})`,
      where.bindings as any[]
    )
    return keysetPage(query, { column: 'created_at', direction: 'desc', page })
  })
}

/** The columns of each row contactAudienceSql selects. */
export interface AudienceRow {
  contact_id: string
  name: string | null
  profile_name: string | null
  phone: string | null
  email: string | null
  language: string | null
  time_zone: string | null
  marketing_consent: 'unknown' | 'opted_in' | 'opted_out'
  opt_in: 'unknown' | 'opted_in' | 'opted_out'
  attributes: Record<string, unknown>
}

/**
 * A SELECT (inside the tenant's search path) of the contacts a filter
 * matches, or of the given contact ids, with the AudienceRow columns: for a
 * campaign to insert its recipients from in one statement.
 */
export async function contactAudienceSql(
  trx: TransactionClientContract,
  audience: { filter: ContactFilter } | { contactIds: string[] }
): Promise<{ sql: string; bindings: unknown[] }> {
  const columns = `c.id as contact_id, c.name, c.profile_name, c.phone, c.email, c.language,
    c.time_zone, c.marketing_consent, c.opt_in, c.attributes`
  if ('contactIds' in audience) {
    const ids = audience.contactIds.filter((id) => UUID.test(id))
    return { sql: `select ${columns} from contacts c where c.id = any(?::uuid[])`, bindings: [ids] }
  }
  const fields = await ContactField.query({ client: trx })
  const where = compileContactFilter(audience.filter, fields)
  return { sql: `select ${columns} from contacts c where ${where.sql}`, bindings: where.bindings }
}
