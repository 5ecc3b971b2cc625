import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import emitter from '@adonisjs/core/services/emitter'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import type {
  ContactCreatedEvent,
  ConversationCreatedEvent,
  MessageStatusEvent,
} from '../events.js'
import type { MessageMedia } from '../models/message.js'
import { applyStatus } from './inbound_statuses.js'
import { applyTemplateWebhook, TEMPLATE_WEBHOOK_FIELDS } from './template_service.js'
import {
  dateFromUnix,
  describeInboundMessage,
  e164FromWaId,
  type WaChangeValue,
  type WaMessage,
  type WaWebhook,
} from './whatsapp_payload.js'

/*
| Turns one stored webhook into tenant rows. Idempotent by construction, so a
| BullMQ retry, the recovery sweep, or two workers on the same event all end
| with the same rows: messages collapse on their wamid (unique external_id),
| contacts on wa_id, the open conversation on the partial unique index, and
| statuses only ever move forward.
*/

/** Lucid types bindings without null; knex sends a null binding as SQL NULL. */
type SqlValue = string

type PendingEvent =
  | { name: 'contact:created'; data: ContactCreatedEvent }
  | { name: 'conversation:created'; data: ConversationCreatedEvent }
  | { name: 'message:status'; data: MessageStatusEvent }

export interface ProcessedWebhook {
  /** Conversations holding this event's messages, new or seen before. */
  conversationIds: string[]
  insertedMessages: number
}

export interface StoredEvent {
  id: string
  tenant_id: string | null
  channel_id: string | null
  payload: WaWebhook
  /** wa_ids whose messages it carries. */
  senders: string[]
  processed_at: Date | null
}

/**
 * Stores the messages and applies the statuses of webhook event `eventId`.
 * Returns null when there is nothing (left) to do. Events are emitted after
 * the tenant transaction commits.
 */
export async function processWebhookEvent(
  tenant: TenantContext,
  eventId: string
): Promise<ProcessedWebhook | null> {
  const [event] = await loadWebhookEvents([eventId])
  return event ? processStoredEvent(tenant, event) : null
}

/**
 * Stored webhook events by id, in stored order. A channel removed while its
 * event was being stored reads as removed: webhook_events names channels
 * without a foreign key (see the migration webhook_events_cascade_by_trigger).
 */
export async function loadWebhookEvents(eventIds: string[]): Promise<StoredEvent[]> {
  const found = await db.rawQuery(
    `select we.id::text as id, we.tenant_id, c.id as channel_id, we.payload, we.senders,
        we.processed_at
      from webhook_events we left join channels c on c.id = we.channel_id
      where we.id = any(?::bigint[])
      order by we.id`,
    [eventIds]
  )
  return found.rows as StoredEvent[]
}

/** processWebhookEvent for an event already read (see loadWebhookEvents). */
export async function processStoredEvent(
  tenant: TenantContext,
  event: StoredEvent
): Promise<ProcessedWebhook | null> {
  const results = await processStoredEvents(tenant, [event])
  return results.get(event.id) ?? null
}

/**
 * processStoredEvent for several events of one tenant in one transaction:
 * one commit instead of one per event. Events are taken by their first
 * sender, then in stored order, so concurrent jobs lock the same
 * conversations in the same order and never deadlock each other. All or
 * nothing: if any event fails, the transaction rolls back and this throws
 * (the caller then processes them one by one, to find the culprit).
 */
export async function processStoredEvents(
  tenant: TenantContext,
  events: StoredEvent[]
): Promise<Map<string, ProcessedWebhook>> {
  const results = new Map<string, ProcessedWebhook>()
  const work: Array<{ event: StoredEvent; channelId: string; accounts: AccountChannels }> = []
  for (const event of events) {
    if (event.processed_at) continue
    const channelId = usableChannel(tenant, event)
    if (!channelId) {
      results.set(event.id, { conversationIds: [], insertedMessages: 0 })
      continue
    }
    const accounts = await templateChannelsOf(tenant, event.payload, channelId)
    work.push({ event, channelId, accounts })
  }
  work.sort(
    (a, b) =>
      (a.event.senders[0] ?? '').localeCompare(b.event.senders[0] ?? '') ||
      Number(a.event.id) - Number(b.event.id)
  )
  const pending: PendingEvent[] = []
  if (work.length) {
    await tenant.transaction(async (trx) => {
      for (const { event, channelId, accounts } of work) {
        results.set(event.id, await storeEvent(trx, tenant, event, channelId, accounts, pending))
      }
    })
  }
  await emitPending(pending)
  return results
}

/** The event's channel, null when it was removed; throws for another tenant's event. */
function usableChannel(tenant: TenantContext, event: StoredEvent): string | null {
  if (event.tenant_id !== tenant.id) {
    // The payload names the tenant; a mismatch is a bug, never something to write through.
    throw new Error(`webhook event ${event.id} does not belong to tenant ${tenant.slug}`)
  }
  if (!event.channel_id) {
    logger.warn({ webhookEventId: event.id }, 'webhook event whose channel was removed; skipped')
  }
  return event.channel_id
}

type AccountChannels = Map<string, string[]>

/** One event's messages, statuses and template changes, inside the caller's tenant transaction. */
async function storeEvent(
  trx: TransactionClientContract,
  tenant: TenantContext,
  event: StoredEvent,
  channelId: string,
  accountChannels: AccountChannels,
  pending: PendingEvent[]
): Promise<ProcessedWebhook> {
  const conversationIds = new Set<string>()
  let insertedMessages = 0
  for (const entry of event.payload.entry ?? []) {
    for (const change of entry.changes ?? []) {
      const value = change.value
      if (isTemplateField(change.field)) {
        const channels = accountChannels.get(String(entry.id ?? '')) ?? [channelId]
        await applyTemplateWebhook(trx, channels, change.field!, value)
        continue
      }
      if (!value || (change.field && change.field !== 'messages')) continue
      for (const message of value.messages ?? []) {
        if (!message?.id || !message.from) continue
        const stored = await storeInboundMessage(trx, tenant, channelId, value, message, pending)
        conversationIds.add(stored.conversationId)
        if (stored.inserted) insertedMessages++
      }
      for (const status of value.statuses ?? []) {
        const changed = await applyStatus(trx, tenant, status)
        if (changed) pending.push({ name: 'message:status', data: changed })
      }
    }
  }
  return { conversationIds: [...conversationIds], insertedMessages }
}

function isTemplateField(field: string | undefined) {
  return (TEMPLATE_WEBHOOK_FIELDS as readonly string[]).includes(field ?? '')
}

/**
 * Template webhooks name the WhatsApp Business Account, whose templates
 * every number of the tenant on that account shares: the tenant's channels
 * per account id (central table, read before the tenant transaction).
 */
async function templateChannelsOf(tenant: TenantContext, payload: WaWebhook, fallback: string) {
  const accounts = (payload.entry ?? [])
    .filter((entry) => (entry.changes ?? []).some((change) => isTemplateField(change.field)))
    .map((entry) => String(entry.id ?? ''))
    .filter(Boolean)
  const byAccount = new Map<string, string[]>()
  if (!accounts.length) return byAccount
  const found = await db.rawQuery(
    `select id, waba_id from channels where tenant_id = ? and waba_id = any(?)`,
    [tenant.id, accounts]
  )
  for (const row of found.rows as Array<{ id: string; waba_id: string }>) {
    byAccount.set(row.waba_id, [...(byAccount.get(row.waba_id) ?? []), row.id])
  }
  for (const account of accounts) if (!byAccount.has(account)) byAccount.set(account, [fallback])
  return byAccount
}

/** Emits what a committed transaction made true; a failing listener stops no other. */
async function emitPending(pending: PendingEvent[]) {
  for (const item of pending) {
    try {
      await emitter.emit(item.name, item.data as never)
    } catch (error) {
      logger.error({ err: error, event: item.name }, 'channels event listener failed')
    }
  }
}

async function storeInboundMessage(
  trx: TransactionClientContract,
  tenant: TenantContext,
  channelId: string,
  value: WaChangeValue,
  message: WaMessage,
  pending: PendingEvent[]
): Promise<{ conversationId: string; inserted: boolean }> {
  // A redelivery must not touch anything: in particular it must not open a
  // new conversation because the original one was resolved since.
  const existing = await storedMessage(trx, message.id)
  if (existing) return { conversationId: existing.conversationId, inserted: false }

  const waId = String(message.from)
  const profileName =
    value.contacts?.find((contact) => contact.wa_id === waId)?.profile?.name ??
    (value.contacts?.length === 1 ? value.contacts[0].profile?.name : undefined) ??
    null
  const contactId = await upsertContact(trx, tenant, waId, profileName, pending)
  const fields = describeInboundMessage(message)
  return storeForContact(
    trx,
    tenant,
    {
      channelId,
      contactId,
      externalId: message.id,
      type: fields.type,
      body: fields.body,
      payload: fields.payload,
      media: fields.media,
      replyToExternalId: fields.replyToExternalId,
      at: dateFromUnix(message.timestamp) ?? new Date(),
    },
    pending
  )
}

/** One inbound message of a known contact, as any channel hands it over. */
export interface InboundMessageInput {
  channelId: string
  contactId: string
  /** The channel's id for the message: deliveries of the same id collapse on it. */
  externalId: string
  type: string
  body: string | null
  payload: Record<string, unknown>
  media?: MessageMedia | null
  replyToExternalId?: string | null
  /** When the customer sent it: the order of the conversation. */
  at: Date
}

/**
 * Stores an inbound message of a channel that knows its contact (web chat):
 * in the contact's conversation in progress on that channel (a new one when
 * there is none), once per `externalId`. `conversation:created` is emitted
 * after the commit; the caller queues the hand-off (message:received) with
 * enqueueConversationDelivery.
 */
export async function storeInboundMessageOfContact(
  tenant: TenantContext,
  input: InboundMessageInput
): Promise<{ conversationId: string; messageId: string; inserted: boolean }> {
  const pending: PendingEvent[] = []
  const result = await tenant.transaction(async (trx) => {
    const existing = await storedMessage(trx, input.externalId)
    if (existing) return { ...existing, inserted: false }
    return storeForContact(trx, tenant, input, pending)
  })
  await emitPending(pending)
  return result
}

async function storedMessage(trx: TransactionClientContract, externalId: string) {
  const found = await trx.rawQuery(
    `select id, conversation_id from messages where external_id = ?`,
    [externalId]
  )
  const row = found.rows[0] as { id: string; conversation_id: string } | undefined
  return row ? { messageId: row.id, conversationId: row.conversation_id } : null
}

/**
 * The part every channel shares: the conversation in progress, the message
 * row (collapsing on external_id), and the conversation's counters.
 */
async function storeForContact(
  trx: TransactionClientContract,
  tenant: TenantContext,
  input: InboundMessageInput,
  pending: PendingEvent[]
): Promise<{ conversationId: string; messageId: string; inserted: boolean }> {
  const { channelId, contactId, at } = input
  const conversationId = await activeConversation(trx, tenant, contactId, channelId, pending)
  // The message and its conversation's counters in one statement: the
  // update runs only if the insert did. greatest() keeps the later time when
  // webhooks arrive out of order; a customer writing to a snoozed
  // conversation wakes it.
  const inserted = await trx.rawQuery(
    `with inserted as (
        insert into messages (conversation_id, contact_id, channel_id, direction, external_id, type,
          body, payload, media, status, author_type, reply_to_external_id, provider_timestamp)
        values (?, ?, ?, 'inbound', ?, ?, ?, ?::jsonb, ?::jsonb, 'received', 'contact', ?, ?)
        on conflict (external_id) do nothing
        returning id
      ),
      counted as (
        update conversations set
          last_message_at = greatest(last_message_at, ?),
          last_customer_message_at = greatest(last_customer_message_at, ?),
          unread_count = unread_count + 1,
          status = case when status = 'snoozed' then 'open' else status end,
          snoozed_until = case when status = 'snoozed' then null else snoozed_until end,
          updated_at = now()
        where id = ? and exists (select 1 from inserted)
      )
      select id from inserted`,
    [
      conversationId,
      contactId,
      channelId,
      input.externalId,
      input.type,
      input.body,
      JSON.stringify(input.payload),
      input.media ? JSON.stringify(input.media) : null,
      input.replyToExternalId ?? null,
      at,
      at,
      at,
      conversationId,
    ] as SqlValue[]
  )
  if (!inserted.rows.length) {
    // Another worker stored the same id between our check and insert.
    const winner = await storedMessage(trx, input.externalId)
    return {
      conversationId: winner?.conversationId ?? conversationId,
      messageId: winner?.messageId ?? '',
      inserted: false,
    }
  }
  return { conversationId, messageId: inserted.rows[0].id as string, inserted: true }
}

/** The contact for a wa_id, created (source whatsapp) or linked by phone if new to WhatsApp. */
async function upsertContact(
  trx: TransactionClientContract,
  tenant: TenantContext,
  waId: string,
  profileName: string | null,
  pending: PendingEvent[]
): Promise<string> {
  const phone = e164FromWaId(waId)
  for (let attempt = 0; attempt < 2; attempt++) {
    const found = await trx.rawQuery(
      `select id, wa_id, profile_name from contacts
        where wa_id = ? or (phone = ?::text and ?::text is not null)
        order by (wa_id = ?) desc nulls last limit 1`,
      [waId, phone, phone, waId] as SqlValue[]
    )
    const contact = found.rows[0] as
      { id: string; wa_id: string | null; profile_name: string | null } | undefined
    if (contact) {
      const link = contact.wa_id === null
      const rename = profileName !== null && profileName !== contact.profile_name
      if (link || rename) {
        await trx.rawQuery(
          `update contacts set wa_id = coalesce(wa_id, ?), profile_name = coalesce(?, profile_name),
              updated_at = now() where id = ?`,
          [waId, profileName, contact.id] as SqlValue[]
        )
      }
      return contact.id
    }
    // No conflict target: a concurrent insert of the same wa_id or phone
    // makes this a no-op and the loop reads the winner.
    const inserted = await trx.rawQuery(
      `insert into contacts (phone, wa_id, profile_name, source) values (?, ?, ?, 'whatsapp')
        on conflict do nothing returning id`,
      [phone, waId, profileName] as SqlValue[]
    )
    if (inserted.rows.length) {
      const contactId = inserted.rows[0].id as string
      pending.push({
        name: 'contact:created',
        data: { tenant: tenant.slug, tenantId: tenant.id, contactId, source: 'whatsapp' },
      })
      return contactId
    }
  }
  throw new Error(`could not find or create the contact for wa_id ${waId}`)
}

/**
 * The conversation in progress for (contact, channel), or a new open one.
 * Resolved conversations are history: a message after resolution starts a
 * new conversation, which the partial unique index conversations_one_active
 * allows. Two workers creating it at once collide on that index; the loser
 * reads the winner's row.
 */
async function activeConversation(
  trx: TransactionClientContract,
  tenant: TenantContext,
  contactId: string,
  channelId: string,
  pending: PendingEvent[]
): Promise<string> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const found = await trx.rawQuery(
      `select id from conversations where contact_id = ? and channel_id = ? and status <> 'resolved'`,
      [contactId, channelId]
    )
    if (found.rows.length) return found.rows[0].id
    const inserted = await trx.rawQuery(
      `insert into conversations (contact_id, channel_id, status) values (?, ?, 'open')
        on conflict do nothing returning id`,
      [contactId, channelId]
    )
    if (inserted.rows.length) {
      const conversationId = inserted.rows[0].id as string
      pending.push({
        name: 'conversation:created',
        data: { tenant: tenant.slug, tenantId: tenant.id, conversationId, contactId, channelId },
      })
      return conversationId
    }
  }
  throw new Error(`could not find or open a conversation for contact ${contactId}`)
}

/** Marks events done; later runs of their job find nothing to do. */
export async function markWebhookEventsProcessed(eventIds: string[]) {
  if (!eventIds.length) return
  await db.rawQuery(
    `update webhook_events set processed_at = now() where id = any(?::bigint[]) and processed_at is null`,
    [eventIds]
  )
}

/** Records a failed attempt; the job rethrows so BullMQ retries with backoff. */
export async function recordWebhookEventFailure(eventId: string, error: unknown) {
  const message = error instanceof Error ? error.message : String(error)
  await db.rawQuery(
    `update webhook_events set attempts = attempts + 1, last_error = ? where id = ?`,
    [message.slice(0, 2000), eventId]
  )
}
