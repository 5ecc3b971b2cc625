import { DateTime } from 'luxon'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import Contact from '../models/contact.js'

/*
| History brought in from another system (a previous inbox, a CRM): the
| messages are written as they were, never sent to WhatsApp, never shown to
| the assistant as new, and never announced as received. Each message's
| id in the other system makes a repeat import insert nothing again.
*/

/** Stored external ids of imported messages carry this prefix, apart from WhatsApp's wamids. */
export const IMPORTED_ID_PREFIX = 'import:'

export interface ImportedMessage {
  externalId: string
  direction: 'in' | 'out'
  text: string
  sentAt: DateTime
}

export interface HistoryImport {
  contact: { phone: string; name?: string | null }
  channelId: string
  messages: ImportedMessage[]
}

export interface HistoryImportResult {
  contactId: string
  contactCreated: boolean
  conversationId: string
  conversationCreated: boolean
  /** Every message of the request, in its order, with our id and whether it is new. */
  messages: Array<{ externalId: string; id: string; created: boolean }>
}

/**
 * Imports one contact's history on one channel. The messages go into the
 * contact's conversation in progress on the channel, else its latest one,
 * else a new conversation created resolved (history does not belong in the
 * open queue, and is not auto-assigned). A message is ordered by the time it
 * was sent. The 24-hour window is not opened by imported messages: only
 * what WhatsApp itself delivered says the customer wrote.
 *
 * The channel must be the tenant's (the caller checks); the phone is E.164.
 */
export async function importHistory(
  tenant: TenantContext,
  input: HistoryImport
): Promise<HistoryImportResult> {
  const result = await tenant.transaction(async (trx) => {
    const contact = await contactFor(trx, input.contact)
    const conversation = await conversationFor(trx, contact.id, input.channelId, input.messages)
    const messages: HistoryImportResult['messages'] = []
    for (const message of input.messages) {
      const externalId = IMPORTED_ID_PREFIX + message.externalId
      const at = message.sentAt.toJSDate()
      const inserted = await trx.rawQuery(
        `insert into messages (conversation_id, contact_id, channel_id, direction, external_id,
                               type, body, payload, status, author_type, provider_timestamp,
                               sent_at, processed_at, created_at, updated_at)
         values (?, ?, ?, ?, ?, 'text', ?, ?, ?, ?, ?, ?, now(), ?, now())
         on conflict (external_id) do nothing
         returning id`,
        [
          conversation.id,
          contact.id,
          input.channelId,
          message.direction === 'in' ? 'inbound' : 'outbound',
          externalId,
          message.text,
          JSON.stringify({ imported: true }),
          message.direction === 'in' ? 'received' : 'sent',
          message.direction === 'in' ? 'contact' : 'system',
          at,
          at,
          at,
        ]
      )
      if (inserted.rows.length) {
        messages.push({ externalId: message.externalId, id: inserted.rows[0].id, created: true })
        continue
      }
      const earlier = await trx
        .from('messages')
        .where('external_id', externalId)
        .select('id')
        .firstOrFail()
      messages.push({ externalId: message.externalId, id: earlier.id, created: false })
    }
    const newest = input.messages.reduce<Date | null>((latest, message) => {
      const at = message.sentAt.toJSDate()
      return !latest || at > latest ? at : latest
    }, null)
    if (newest && messages.some((message) => message.created)) {
      await trx.rawQuery(
        `update conversations
            set last_message_at = greatest(coalesce(last_message_at, ?::timestamptz), ?::timestamptz),
                updated_at = now()
          where id = ?`,
        [newest, newest, conversation.id]
      )
    }
    return {
      contactId: contact.id,
      contactCreated: contact.created,
      conversationId: conversation.id,
      conversationCreated: conversation.created,
      messages,
    }
  })
  if (result.contactCreated) {
    try {
      await emitter.emit('contact:created', {
        tenant: tenant.slug,
        tenantId: tenant.id,
        contactId: result.contactId,
        source: 'import',
      })
    } catch (error) {
      logger.error({ err: error }, 'contact:created listener failed')
    }
  }
  return result
}

/** The contact with this phone, or a new one (two imports at once: the loser reads the winner's). */
async function contactFor(trx: TransactionClientContract, input: HistoryImport['contact']) {
  const existing = await Contact.query({ client: trx }).where('phone', input.phone).first()
  if (existing) return { id: existing.id, created: false }
  const inserted: Array<{ id: string }> = await trx
    .insertQuery()
    .table('contacts')
    .insert({
      phone: input.phone,
      wa_id: input.phone.slice(1),
      name: input.name ?? null,
      source: 'import',
      opt_in: 'unknown',
    })
    .knexQuery.onConflict()
    .ignore()
    .returning('id')
  if (inserted.length) return { id: inserted[0].id, created: true }
  const winner = await Contact.query({ client: trx }).where('phone', input.phone).firstOrFail()
  return { id: winner.id, created: false }
}

async function conversationFor(
  trx: TransactionClientContract,
  contactId: string,
  channelId: string,
  messages: ImportedMessage[]
) {
  const latest = await trx
    .from('conversations')
    .where('contact_id', contactId)
    .where('channel_id', channelId)
    .orderByRaw(`(status <> 'resolved') desc, created_at desc`)
    .select('id')
    .first()
  if (latest) return { id: latest.id as string, created: false }
  const first = messages.reduce<Date | null>((earliest, message) => {
    const at = message.sentAt.toJSDate()
    return !earliest || at < earliest ? at : earliest
  }, null)
  const last = messages.reduce<Date | null>((newest, message) => {
    const at = message.sentAt.toJSDate()
    return !newest || at > newest ? at : newest
  }, null)
  const inserted = await trx.rawQuery(
    `insert into conversations (contact_id, channel_id, status, resolved_at, created_at, updated_at)
     values (?, ?, 'resolved', ?, ?, now()) returning id`,
    [contactId, channelId, last ?? new Date(), first ?? new Date()]
  )
  return { id: inserted.rows[0].id as string, created: true }
}
