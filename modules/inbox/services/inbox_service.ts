import { conversationMessagesIn, messagesByExternalIdsIn, Message } from '#modules/channels/index'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { DatabaseQueryBuilderContract } from '@adonisjs/lucid/types/querybuilder'
import { clock } from '#app/clock'
import type { TenantContext } from '#modules/tenancy/index'
import type { ConversationPriority, ConversationStatus } from '../models/conversation.js'
import Contact from '../models/contact.js'
import { isUuid } from './conversation_service.js'
import { readQuery } from '#app/validation/query'
import {
  INBOX_STATUSES,
  INBOX_VIEWS,
  inboxQueryValidator,
  type InboxView,
} from '../validators/inbox_validator.js'

/*
| What the team inbox reads: the conversation list with its filters, search
| and unread counts, one conversation's thread a page at a time, and what
| the side panel shows about its contact.
*/

export { INBOX_VIEWS, INBOX_STATUSES, type InboxView }
export const CONVERSATIONS_PER_PAGE = 25
export const MESSAGES_PER_PAGE = 50

export interface InboxFilters {
  view: InboxView
  status: ConversationStatus | 'all'
  label: string
  channel: string
  q: string
  /** Where the page starts: after this conversation, in activity order. */
  cursor: string | null
}

/**
 * Reads the inbox's query string with its VineJS schema, ignoring nonsense:
 * a refused value falls back to the default. Also answers which
 * conversation is open beside the list and where an earlier page of its
 * thread starts.
 */
export async function readInboxQuery(qs: Record<string, unknown>) {
  const query = await readQuery(inboxQueryValidator, qs)
  const filters: InboxFilters = {
    view: query.view ?? 'all',
    status: query.status ?? 'open',
    label: query.label ?? '',
    channel: query.channel ?? '',
    q: query.q ?? '',
    cursor: query.cursor && decodeListCursor(query.cursor) ? query.cursor : null,
  }
  return { filters, current: query.current ?? null, before: query.before ?? null }
}

/** The list's filters alone, from a query string (see readInboxQuery). */
export async function inboxFiltersFrom(qs: Record<string, unknown>): Promise<InboxFilters> {
  const { filters } = await readInboxQuery(qs)
  return filters
}

/**
 * The filters as a query string ('' for the defaults), for links that keep
 * them: the list's own pages, the conversation pages, the forms' way back.
 */
export function inboxQuery(filters: InboxFilters, change: Partial<InboxFilters> = {}) {
  const merged = { ...filters, cursor: null, ...change }
  const params = new URLSearchParams()
  if (merged.view !== 'all') params.set('view', merged.view)
  if (merged.status !== 'open') params.set('status', merged.status)
  if (merged.label) params.set('label', merged.label)
  if (merged.channel) params.set('channel', merged.channel)
  if (merged.q) params.set('q', merged.q)
  if (merged.cursor) params.set('cursor', merged.cursor)
  const query = params.toString()
  return query ? `?${query}` : ''
}

const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/

function encodeCursor(parts: string[]) {
  return Buffer.from(parts.join('|')).toString('base64url')
}

function decodeListCursor(cursor: string) {
  if (!cursor) return null
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|')
  return at && PG_TIMESTAMP.test(at) && isUuid(id) ? { at, id } : null
}

function decodeThreadCursor(cursor: string | null | undefined) {
  if (!cursor || cursor.length > 200) return null
  const [at, seq] = Buffer.from(cursor, 'base64url').toString().split('|')
  return at && PG_TIMESTAMP.test(at) && /^\d{1,18}$/.test(seq ?? '') ? { at, seq } : null
}

/** Escapes LIKE's wildcards in what a person typed. */
function likePattern(term: string) {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * A prefix full-text query from typed words ("renew pol" finds "renewal
 * policy"), or null when nothing searchable was typed. Only letters and digits
 * reach to_tsquery, so its syntax can never be injected.
 */
export function prefixTsQuery(q: string) {
  const words = q
    .split(/\s+/)
    .map((word) => word.replace(/[^\p{L}\p{N}]/gu, '').toLowerCase())
    .filter(Boolean)
    .slice(0, 8)
  return words.length ? words.map((word) => `${word}:*`).join(' & ') : null
}

/** Every filter but the view (mine, unassigned, all) and the page. */
function applyFilters(query: DatabaseQueryBuilderContract, filters: InboxFilters) {
  if (filters.status !== 'all') query.where('c.status', filters.status)
  if (filters.label) query.whereRaw('? = any(c.labels)', [filters.label])
  if (filters.channel) query.where('c.channel_id', filters.channel)
  if (filters.q) {
    const term = likePattern(filters.q)
    // People type numbers with spaces and dashes; stored ones have none.
    const digits = filters.q.replace(/[\s\-().]/g, '')
    const words = prefixTsQuery(filters.q)
    query.where((where) => {
      where
        .whereILike('ct.name', term)
        .orWhereILike('ct.profile_name', term)
        .orWhereILike('ct.phone', digits ? likePattern(digits) : term)
      if (words) {
        // Matches the messages_body_search index's expression exactly, so it is used.
        where.orWhereRaw(
          `exists (select 1 from messages sm where sm.conversation_id = c.id
             and to_tsvector('simple', coalesce(sm.body, '')) @@ to_tsquery('simple', ?))`,
          [words]
        )
      }
    })
  }
  return query
}

function applyView(query: DatabaseQueryBuilderContract, view: InboxView, userId: string) {
  if (view === 'mine') query.where('c.assignee_id', userId)
  if (view === 'unassigned') query.whereNull('c.assignee_id')
  if (view === 'needs_person') query.whereNotNull('c.needs_person_at').whereNull('c.assignee_id')
  return query
}

export interface InboxRow {
  id: string
  status: ConversationStatus
  priority: ConversationPriority
  labels: string[]
  unreadCount: number
  assigneeId: string | null
  channelId: string
  snoozedUntil: Date | null
  /** Handed to a person, and nobody has taken it yet. */
  needsPerson: boolean
  activityAt: Date
  contact: { id: string; name: string | null; profileName: string | null; phone: string | null }
  last: {
    type: string
    body: string | null
    direction: 'inbound' | 'outbound'
    isNote: boolean
    status: string
  } | null
}

/**
 * A page of conversations, most recent activity first, with the unread
 * conversations per tab (mine, unassigned, all) under the same filters.
 */
export async function listInbox(tenant: TenantContext, filters: InboxFilters, userId: string) {
  const after = filters.cursor ? decodeListCursor(filters.cursor) : null
  return tenant.transaction(async (trx) => {
    const query = applyView(
      applyFilters(
        trx
          .from('conversations as c')
          .join('contacts as ct', 'ct.id', 'c.contact_id')
          .joinRaw(
            `left join lateral (
               select m.type, m.body, m.direction, m.is_note, m.status from messages m
                where m.conversation_id = c.id
                order by m.sort_at desc, m.seq desc limit 1
             ) lm on true`
          )
          .select(
            'c.id',
            'c.status',
            'c.priority',
            'c.labels',
            'c.unread_count',
            'c.assignee_id',
            'c.channel_id',
            'c.snoozed_until',
            'c.needs_person_at',
            trx.raw('coalesce(c.last_message_at, c.created_at) as activity_at'),
            trx.raw('coalesce(c.last_message_at, c.created_at)::text as activity_key'),
            'ct.id as contact_id',
            'ct.name as contact_name',
            'ct.profile_name as contact_profile_name',
            'ct.phone as contact_phone',
            'lm.type as last_type',
            'lm.body as last_body',
            'lm.direction as last_direction',
            'lm.is_note as last_is_note',
            'lm.status as last_status'
          ),
        filters
      ),
      filters.view,
      userId
    )
    if (after) {
      query.whereRaw('(coalesce(c.last_message_at, c.created_at), c.id) < (?::timestamptz, ?)', [
        after.at,
        after.id,
      ])
    }
    const rows: Array<Record<string, any>> = await query
      .orderByRaw('coalesce(c.last_message_at, c.created_at) desc, c.id desc')
      .limit(CONVERSATIONS_PER_PAGE + 1)

    const more = rows.length > CONVERSATIONS_PER_PAGE
    const page = rows.slice(0, CONVERSATIONS_PER_PAGE)
    const last = page[page.length - 1]
    const counts = await unreadCounts(trx, filters, userId)
    return {
      rows: page.map(toRow),
      nextCursor: more && last ? encodeCursor([last.activity_key, last.id]) : null,
      unread: counts,
    }
  })
}

function toRow(row: Record<string, any>): InboxRow {
  return {
    id: row.id,
    status: row.status,
    priority: row.priority,
    labels: row.labels ?? [],
    unreadCount: Number(row.unread_count),
    assigneeId: row.assignee_id,
    channelId: row.channel_id,
    snoozedUntil: row.snoozed_until ? new Date(row.snoozed_until) : null,
    needsPerson: !!row.needs_person_at && !row.assignee_id,
    activityAt: new Date(row.activity_at),
    contact: {
      id: row.contact_id,
      name: row.contact_name,
      profileName: row.contact_profile_name,
      phone: row.contact_phone,
    },
    last: row.last_type
      ? {
          type: row.last_type,
          body: row.last_body,
          direction: row.last_direction,
          isNote: row.last_is_note,
          status: row.last_status,
        }
      : null,
  }
}

/** Conversations with unread messages, per tab, under the other filters. */
async function unreadCounts(trx: TransactionClientContract, filters: InboxFilters, userId: string) {
  const [row] = await applyFilters(
    trx
      .from('conversations as c')
      .join('contacts as ct', 'ct.id', 'c.contact_id')
      .where('c.unread_count', '>', 0)
      .select(
        trx.raw('count(*) filter (where c.assignee_id = ?) as mine', [userId]),
        trx.raw('count(*) filter (where c.assignee_id is null) as unassigned'),
        trx.raw(
          'count(*) filter (where c.assignee_id is null and c.needs_person_at is not null) as needs_person'
        ),
        trx.raw('count(*) as total')
      ),
    filters
  )
  return {
    mine: Number(row?.mine ?? 0),
    unassigned: Number(row?.unassigned ?? 0),
    needs_person: Number(row?.needs_person ?? 0),
    all: Number(row?.total ?? 0),
  }
}

/**
 * Open conversations handed to a person that nobody has taken: the count
 * beside "Needs a person" in the navigation.
 */
export async function needsPersonCount(tenant: TenantContext) {
  const row = await tenant.transaction((trx) =>
    trx
      .from('conversations')
      .whereNotNull('needs_person_at')
      .whereNull('assignee_id')
      .where('status', 'open')
      .count('* as total')
      .first()
  )
  return Number(row?.total ?? 0)
}

export interface InboxFigures {
  /** Conversations started today (in the reader's time zone). */
  today: number
  open: number
  needsPerson: number
  /** Mean seconds from a conversation's first customer message to the first reply, last 7 days; null with none. */
  firstResponseSeconds: number | null
}

/** The dashboard's inbox figures, read fresh each time. */
export async function inboxFigures(tenant: TenantContext, timeZone: string): Promise<InboxFigures> {
  const now = clock.now().setZone(timeZone)
  const startOfDay = now.startOf('day').toJSDate()
  const weekAgo = now.minus({ days: 7 }).toJSDate()
  return tenant.transaction(async (trx) => {
    const counts = await trx
      .from('conversations')
      .select(
        trx.raw('count(*) filter (where created_at >= ?) as today', [startOfDay]),
        trx.raw(`count(*) filter (where status = 'open') as open`),
        trx.raw(
          `count(*) filter (where status = 'open' and needs_person_at is not null
             and assignee_id is null) as needs_person`
        )
      )
      .first()
    // A reply by anyone (the assistant or a member), notes aside.
    const response = await trx
      .from('conversations as c')
      .joinRaw(
        `join lateral (
           select min(m.created_at) as at from messages m
            where m.conversation_id = c.id and m.direction = 'inbound'
         ) fi on fi.at is not null`
      )
      .joinRaw(
        `join lateral (
           select min(m.created_at) as at from messages m
            where m.conversation_id = c.id and m.direction = 'outbound'
              and not m.is_note and m.created_at >= fi.at
         ) fr on fr.at is not null`
      )
      .where('c.created_at', '>=', weekAgo)
      .select(trx.raw('avg(extract(epoch from (fr.at - fi.at))) as seconds'))
      .first()
    return {
      today: Number(counts?.today ?? 0),
      open: Number(counts?.open ?? 0),
      needsPerson: Number(counts?.needs_person ?? 0),
      firstResponseSeconds:
        response?.seconds === null || response?.seconds === undefined
          ? null
          : Math.round(Number(response.seconds)),
    }
  })
}

/** Every label in use, for the filter. */
export async function inboxLabels(tenant: TenantContext): Promise<string[]> {
  return tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      'select distinct unnest(labels) as label from conversations order by label limit 200'
    )
    return result.rows.map((row: { label: string }) => row.label)
  })
}

export interface ThreadPage {
  messages: Message[]
  /** Messages this page refers to (replies, reactions), by WhatsApp id. */
  referenced: Map<string, Message>
  /** The cursor of the page before this one, or null at the start of the conversation. */
  earlierCursor: string | null
}

/**
 * One page of a conversation, oldest first: the latest MESSAGES_PER_PAGE, or
 * those before `before` (a cursor from an earlier page).
 */
export async function threadPage(
  tenant: TenantContext,
  conversationId: string,
  before?: string | null
): Promise<ThreadPage> {
  const cursor = decodeThreadCursor(before)
  return tenant.transaction(async (trx) => {
    const newestFirst = await conversationMessagesIn(
      trx,
      conversationId,
      MESSAGES_PER_PAGE + 1,
      cursor
    )
    const more = newestFirst.length > MESSAGES_PER_PAGE
    const page = newestFirst.slice(0, MESSAGES_PER_PAGE).reverse()
    const oldest = page[0]

    const wanted = new Set<string>()
    for (const message of page) {
      if (message.replyToExternalId) wanted.add(message.replyToExternalId)
      const reacted = message.type === 'reaction' ? message.payload?.messageId : null
      if (typeof reacted === 'string') wanted.add(reacted)
    }
    const referenced = await messagesByExternalIdsIn(trx, conversationId, [...wanted])
    return {
      messages: page,
      referenced: new Map(referenced.map((message) => [message.externalId!, message])),
      earlierCursor:
        more && oldest
          ? encodeCursor([String(oldest.$extras.order_key), String(oldest.$extras.seq_key)])
          : null,
    }
  })
}

export interface ContactPanel {
  contact: Contact
  previous: Array<{
    id: string
    status: ConversationStatus
    channelId: string
    activityAt: Date
    lastBody: string | null
  }>
}

/** The contact of a conversation and their other conversations, most recent first. */
export async function contactPanel(
  tenant: TenantContext,
  contactId: string,
  conversationId: string
): Promise<ContactPanel | null> {
  return tenant.transaction(async (trx) => {
    const contact = await Contact.query({ client: trx }).where('id', contactId).first()
    if (!contact) return null
    const rows = await trx
      .from('conversations as c')
      .where('c.contact_id', contactId)
      .whereNot('c.id', conversationId)
      .joinRaw(
        `left join lateral (
           select m.body from messages m where m.conversation_id = c.id
            order by m.sort_at desc, m.seq desc limit 1
         ) lm on true`
      )
      .select(
        'c.id',
        'c.status',
        'c.channel_id',
        trx.raw('coalesce(c.last_message_at, c.created_at) as activity_at'),
        'lm.body as last_body'
      )
      .orderByRaw('coalesce(c.last_message_at, c.created_at) desc')
      .limit(20)
    return {
      contact,
      previous: rows.map((row) => ({
        id: row.id,
        status: row.status,
        channelId: row.channel_id,
        activityAt: new Date(row.activity_at),
        lastBody: row.last_body,
      })),
    }
  })
}
