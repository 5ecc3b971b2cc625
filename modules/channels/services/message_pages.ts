import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { conversationOrderPage, keysetPage, type PageRequest } from '#app/http/api/index'
import Message from '../models/message.js'
import MessageTemplate from '../models/message_template.js'

/*
| Cursor pages of a conversation's messages and of the workspace's
| templates for programs (the REST API). The query runs in the tenant's
| schema, so another tenant's rows are never in it.
*/

/** A conversation's messages in WhatsApp's order (its timestamps, not arrival). */
export function pageOfMessages(
  tenant: TenantContext,
  conversationId: string,
  options: { direction: 'asc' | 'desc'; page: PageRequest }
) {
  return tenant.transaction((trx) =>
    conversationOrderPage(
      Message.query({ client: trx }).where('conversation_id', conversationId),
      options
    )
  )
}

export interface TemplatePageFilters {
  status?: string | null
  language?: string | null
  channelId?: string | null
}

export function pageOfTemplates(
  tenant: TenantContext,
  filters: TemplatePageFilters,
  page: PageRequest
) {
  return tenant.transaction((trx) => {
    const query = MessageTemplate.query({ client: trx })
    if (filters.status) query.where('status', filters.status)
    if (filters.language) query.where('language', filters.language)
    if (filters.channelId) query.where('channel_id', filters.channelId)
    return keysetPage(query, { column: 'created_at', direction: 'asc', page })
  })
}

/** A message read inside the caller's tenant transaction (an event's payload), or null. */
export function messageIn(trx: TransactionClientContract, messageId: string) {
  return Message.query({ client: trx }).where('id', messageId).first()
}

/**
 * The newest message sent one way (notes left out), by creation or by last
 * change; with `statuses`, only messages that reached one of them.
 */
export function latestMessage(
  trx: TransactionClientContract,
  options: { direction: 'inbound' | 'outbound'; by: 'created' | 'updated'; statuses?: string[] }
) {
  const query = Message.query({ client: trx })
    .where('direction', options.direction)
    .where('is_note', false)
  if (options.statuses) query.whereIn('status', options.statuses)
  return query.orderBy(options.by === 'created' ? 'created_at' : 'updated_at', 'desc').first()
}

/**
 * A contact's messages after `afterSeq` in the order they were stored
 * (notes and system messages left out), at most `limit`: what a reader of
 * the conversation so far (the brain's memory) has not read yet.
 */
export function contactMessagesSince(
  trx: TransactionClientContract,
  contactId: string,
  afterSeq: number,
  limit: number
) {
  return Message.query({ client: trx })
    .where('contact_id', contactId)
    .where('seq', '>', afterSeq)
    .where('is_note', false)
    .whereNot('author_type', 'system')
    .select('id', 'seq', 'conversation_id', 'direction', 'body', 'provider_timestamp', 'created_at')
    .orderBy('seq')
    .limit(limit)
}

/** A message by id in one statement naming the schema, or null. */
export async function messageById(tenant: TenantContext, id: string) {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null
  return tenant.query(Message).where('id', id).first()
}

/**
 * Up to `limit` of a conversation's messages newest first, in WhatsApp's
 * order (sort_at, then seq), before the position `before` when given, with
 * each row's position as text (`order_key`, `seq_key` extras) for cursors.
 */
export function conversationMessagesIn(
  trx: TransactionClientContract,
  conversationId: string,
  limit: number,
  before?: { at: string; seq: string } | null
) {
  const query = Message.query({ client: trx })
    .where('conversation_id', conversationId)
    .select('*', trx.raw('sort_at::text as order_key'), trx.raw('seq::text as seq_key'))
    .orderByRaw('sort_at desc, seq desc')
    .limit(limit)
  if (before) query.whereRaw('(sort_at, seq) < (?::timestamptz, ?)', [before.at, before.seq])
  return query
}

/** A conversation's messages with these WhatsApp ids (replies' quoted messages). */
export function messagesByExternalIdsIn(
  trx: TransactionClientContract,
  conversationId: string,
  externalIds: string[]
) {
  if (!externalIds.length) return Promise.resolve([])
  return Message.query({ client: trx })
    .where('conversation_id', conversationId)
    .whereIn('external_id', externalIds)
}

/** A channel's templates WhatsApp approved (as of the last sync), by name and language. */
export function approvedTemplatesOf(tenant: TenantContext, channelId: string) {
  return tenant.transaction((trx) =>
    MessageTemplate.query({ client: trx })
      .where('channel_id', channelId)
      .where('status', 'APPROVED')
      .orderBy('name', 'asc')
      .orderBy('language', 'asc')
  )
}

/** One approved template of the channel, or null. */
export function approvedTemplateOf(
  tenant: TenantContext,
  channelId: string,
  name: string,
  language: string
) {
  return tenant.transaction((trx) =>
    MessageTemplate.query({ client: trx })
      .where('channel_id', channelId)
      .where('name', name)
      .where('language', language)
      .where('status', 'APPROVED')
      .first()
  )
}

/**
 * Stores a member's internal note in a conversation (inside the caller's
 * tenant transaction): a message the team reads and the customer never
 * does, so it is born `sent` and goes nowhere.
 */
export function storeNoteIn(
  trx: TransactionClientContract,
  conversation: { id: string; contactId: string; channelId: string },
  text: string,
  authorId: string
) {
  return Message.create(
    {
      conversationId: conversation.id,
      contactId: conversation.contactId,
      channelId: conversation.channelId,
      direction: 'outbound',
      type: 'text',
      body: text,
      payload: { note: true },
      status: 'sent',
      authorType: 'agent',
      authorId,
      isNote: true,
      sentAt: DateTime.now(),
    },
    { client: trx }
  )
}

/**
 * How many different contacts got a template (a business-initiated
 * message) from the channel since `since`, and whether `contactIds` are
 * among them: what WhatsApp's messaging tier counts (unique users in a
 * moving 24 hours), whoever sent them (inbox, API, campaigns).
 */
export async function templateRecipientsSince(
  tenant: TenantContext,
  channelId: string,
  since: Date
): Promise<number> {
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `select count(distinct contact_id)::int as n from messages
        where channel_id = ? and direction = 'outbound' and type = 'template'
          and created_at >= ? and status <> 'failed'`,
      [channelId, since]
    )
  )
  return result.rows[0].n
}
