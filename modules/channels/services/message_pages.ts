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
