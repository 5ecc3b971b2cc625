import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import emitter from '@adonisjs/core/services/emitter'
import { inWorkBatch } from '#app/queue/work_batch'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import {
  activeConversationsFor,
  contactsOfSenders,
  countInboundMessages,
  lockConversations,
  type ContactCreatedEvent,
  type ConversationCreatedEvent,
} from '#modules/inbox/index'
import { membersByWhatsApp } from '#modules/identity/index'
import type { MemberMessageEvent, MessageStatusEvent } from '../events.js'
import type { MessageMedia } from '../models/message.js'
import { applyStatuses } from './inbound_statuses.js'
import { applyTemplateWebhook, TEMPLATE_WEBHOOK_FIELDS } from './template_service.js'
import {
  dateFromUnix,
  describeInboundMessage,
  e164FromWaId,
  type WaMessage,
  type WaStatus,
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
  | { name: 'member:message'; data: MemberMessageEvent }

interface ProcessedWebhook {
  /** Conversations holding this event's messages, new or seen before. */
  conversationIds: string[]
  insertedMessages: number
}

interface StoredEvent {
  id: string
  tenant_id: string | null
  channel_id: string | null
  payload: WaWebhook
  /** wa_ids whose messages it carries. */
  senders: string[]
}

interface EventWork {
  event: StoredEvent
  channelId: string
  accounts: AccountChannels
}

/**
 * The events' messages, statuses and template changes, inside the caller's
 * tenant transaction; each event's result goes to `results`, what to emit
 * after the commit to `pending`.
 */
async function storeEvents(
  trx: TransactionClientContract,
  tenant: TenantContext,
  work: EventWork[],
  results: Map<string, ProcessedWebhook>,
  pending: PendingEvent[]
) {
  // Stored order: a customer's messages stamped in the same second keep
  // the order their webhooks came in (seq).
  work.sort((a, b) => Number(a.event.id) - Number(b.event.id))
  const inbound: BatchMessage[] = []
  const statuses: WaStatus[] = []
  for (const { event, channelId, accounts } of work) {
    await readEvent(trx, event, channelId, accounts, inbound, statuses)
  }
  const customers = await divertMemberMessages(trx, tenant, inbound, pending)
  const stored = await storeInboundBatch(trx, tenant, customers, pending)
  for (const { event } of work) {
    results.set(event.id, { conversationIds: [], insertedMessages: 0 })
  }
  customers.forEach((item, index) => {
    const result = results.get(item.eventId)!
    const { conversationId, inserted } = stored[index]
    if (!result.conversationIds.includes(conversationId)) {
      result.conversationIds.push(conversationId)
    }
    if (inserted) result.insertedMessages++
  })
  for (const changed of await applyStatuses(trx, tenant, statuses)) {
    pending.push({ name: 'message:status', data: changed })
  }
}

/** Which unprocessed events a run takes: all of its workspace's (a drain), or the named ones. */
export type EventClaim = { drain: true } | { eventIds: string[] }

export interface ClaimOutcome {
  /** Events this run took; all processed and marked unless listed in failures. */
  claimed: string[]
  /** Conversations holding the processed events' messages, to hand on. */
  conversationIds: string[]
  /** Messages stored by this run (a redelivered one was stored before). */
  insertedMessages: number
  failures: Array<{ eventId: string; error: unknown }>
}

/**
 * Processes unprocessed webhook events of the tenant that no other run
 * holds: takes up to `limit` of them (oldest first) with their rows locked,
 * stores what they carry and marks them processed, all in one transaction,
 * so two runs never take the same event and a run that dies (its
 * connection closes) frees its events at once for the next. A drain leaves
 * out events that failed before: their own retry job takes them, so one bad
 * event cannot make every drain fail. If the batch fails, nothing of it is
 * kept and its events are retried one by one, each in a transaction of its
 * own: the culprit's failure is recorded on its row (attempts, last_error),
 * the others are processed.
 */
export async function processPendingEvents(
  tenant: TenantContext,
  claim: EventClaim,
  limit: number
): Promise<ClaimOutcome> {
  let claimed: string[] = []
  try {
    const outcome = await claimAndStore(tenant, claim, limit, (ids) => (claimed = ids))
    return { ...outcome, failures: [] }
  } catch (error) {
    if (!claimed.length) throw error
  }
  const conversationIds = new Set<string>()
  const failures: ClaimOutcome['failures'] = []
  let insertedMessages = 0
  for (const eventId of claimed) {
    try {
      const outcome = await claimAndStore(tenant, { eventIds: [eventId] }, 1)
      for (const id of outcome.conversationIds) conversationIds.add(id)
      insertedMessages += outcome.insertedMessages
    } catch (error) {
      failures.push({ eventId, error })
      await recordWebhookEventFailure(eventId, error).catch(() => {})
    }
  }
  return { claimed, conversationIds: [...conversationIds], insertedMessages, failures }
}

async function claimAndStore(
  tenant: TenantContext,
  claim: EventClaim,
  limit: number,
  onClaimed?: (eventIds: string[]) => void
): Promise<Omit<ClaimOutcome, 'failures'>> {
  const results = new Map<string, ProcessedWebhook>()
  const pending: PendingEvent[] = []
  const claimed = await tenant.transaction(async (trx) => {
    const events = await claimEvents(trx, tenant, claim, limit)
    const ids = events.map((event) => event.id)
    onClaimed?.(ids)
    const work: EventWork[] = []
    for (const event of events) {
      const channelId = usableChannel(tenant, event)
      if (!channelId) continue
      const accounts = await templateChannelsOf(trx, tenant, event.payload, channelId)
      work.push({ event, channelId, accounts })
    }
    if (work.length) await storeEvents(trx, tenant, work, results, pending)
    if (ids.length) {
      await trx.rawQuery(
        `update public.webhook_events set processed_at = now() where id = any(?::bigint[])`,
        [ids]
      )
    }
    return ids
  })
  await emitPending(pending)
  const conversationIds = new Set<string>()
  let insertedMessages = 0
  for (const result of results.values()) {
    for (const id of result.conversationIds) conversationIds.add(id)
    insertedMessages += result.insertedMessages
  }
  return { claimed, conversationIds: [...conversationIds], insertedMessages }
}

/**
 * Locks and reads the unprocessed events a run takes, skipping those
 * another run holds. Central table, named with its schema: the tenant
 * transaction's search path holds only the tenant's.
 */
async function claimEvents(
  trx: TransactionClientContract,
  tenant: TenantContext,
  claim: EventClaim,
  limit: number
): Promise<StoredEvent[]> {
  const which =
    'eventIds' in claim
      ? { sql: `id = any(?::bigint[])`, bindings: [claim.eventIds] }
      : { sql: `attempts = 0`, bindings: [] }
  const found = await trx.rawQuery(
    `with claimed as (
        select id from public.webhook_events
          where tenant_id = ? and processed_at is null and ${which.sql}
          order by id limit ? for update skip locked
      )
      select we.id::text as id, we.tenant_id, c.id as channel_id, we.payload, we.senders
        from public.webhook_events we join claimed using (id)
        left join public.channels c on c.id = we.channel_id
        order by we.id`,
    [tenant.id, ...which.bindings, limit] as unknown as SqlValue[]
  )
  return found.rows as StoredEvent[]
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

/** One inbound WhatsApp message of a batch, with where it came from. */
interface BatchMessage {
  eventId: string
  channelId: string
  waId: string
  profileName: string | null
  message: WaMessage
}

/**
 * One event, inside the caller's tenant transaction: applies its template
 * changes, and collects its messages and statuses for the batch, in the
 * order the webhook lists them.
 */
async function readEvent(
  trx: TransactionClientContract,
  event: StoredEvent,
  channelId: string,
  accountChannels: AccountChannels,
  inbound: BatchMessage[],
  statuses: WaStatus[]
) {
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
        const waId = String(message.from)
        const profileName =
          value.contacts?.find((contact) => contact.wa_id === waId)?.profile?.name ??
          (value.contacts?.length === 1 ? value.contacts[0].profile?.name : undefined) ??
          null
        inbound.push({ eventId: event.id, channelId, waId, profileName, message })
      }
      statuses.push(...(value.statuses ?? []))
    }
  }
}

/**
 * Messages from the workspace's own members (their WhatsApp numbers, as
 * identity keeps them) are not a customer's: none is stored, no contact or
 * conversation opens; each becomes a `member:message` event after the
 * commit. Returns the customers' messages.
 */
async function divertMemberMessages(
  trx: TransactionClientContract,
  tenant: TenantContext,
  inbound: BatchMessage[],
  pending: PendingEvent[]
) {
  if (!inbound.length) return inbound
  const members = await membersByWhatsApp(
    tenant.id,
    inbound.map((item) => item.waId),
    trx
  )
  if (!members.size) return inbound
  const seen = new Set<string>()
  for (const item of inbound) {
    const member = members.get(item.waId)
    if (!member || seen.has(item.message.id)) continue
    seen.add(item.message.id)
    const fields = describeInboundMessage(item.message)
    const payload = (fields.payload ?? {}) as Record<string, unknown>
    const choiceId =
      payload.interactiveType === 'list_reply' || payload.interactiveType === 'button_reply'
        ? String(payload.id ?? '') || null
        : null
    pending.push({
      name: 'member:message',
      data: {
        tenant: tenant.slug,
        tenantId: tenant.id,
        channelId: item.channelId,
        userId: member.userId,
        waId: item.waId,
        externalId: item.message.id,
        text: fields.body,
        choiceId,
        locale: member.locale,
      },
    })
  }
  return inbound.filter((item) => !members.has(item.waId))
}

function isTemplateField(field: string | undefined) {
  return (TEMPLATE_WEBHOOK_FIELDS as readonly string[]).includes(field ?? '')
}

/**
 * Template webhooks name the WhatsApp Business Account, whose templates
 * every number of the tenant on that account shares: the tenant's channels
 * per account id (central table, read before the tenant transaction).
 */
async function templateChannelsOf(
  client: Pick<TransactionClientContract, 'rawQuery'>,
  tenant: TenantContext,
  payload: WaWebhook,
  fallback: string
) {
  const accounts = (payload.entry ?? [])
    .filter((entry) => (entry.changes ?? []).some((change) => isTemplateField(change.field)))
    .map((entry) => String(entry.id ?? ''))
    .filter(Boolean)
  const byAccount = new Map<string, string[]>()
  if (!accounts.length) return byAccount
  const found = await client.rawQuery(
    `select id, waba_id from public.channels where tenant_id = ? and waba_id = any(?)`,
    [tenant.id, accounts]
  )
  for (const row of found.rows as Array<{ id: string; waba_id: string }>) {
    byAccount.set(row.waba_id, [...(byAccount.get(row.waba_id) ?? []), row.id])
  }
  for (const account of accounts) if (!byAccount.has(account)) byAccount.set(account, [fallback])
  return byAccount
}

/**
 * Emits what a committed transaction made true; a failing listener stops no
 * other. One work batch for them all: the conversations a batch of webhooks
 * opened are metered, assigned and announced together, not one round trip
 * each (see app/queue/work_batch.ts).
 */
async function emitPending(pending: PendingEvent[]) {
  if (!pending.length) return
  await inWorkBatch(async () => {
    for (const item of pending) {
      try {
        await emitter.emit(item.name, item.data as never)
      } catch (error) {
        logger.error({ err: error, event: item.name }, 'channels event listener failed')
      }
    }
  })
}

/**
 * Stores a batch of WhatsApp messages set-wise: the ones already stored
 * (a redelivery) are found in one statement and touch nothing, in
 * particular they never open a new conversation because the original one
 * was resolved since; then one statement each upserts the senders'
 * contacts, finds or opens their conversations, and inserts the messages
 * with their conversations' counters. Returns, per input message, its
 * conversation and whether this call stored it.
 */
async function storeInboundBatch(
  trx: TransactionClientContract,
  tenant: TenantContext,
  batch: BatchMessage[],
  pending: PendingEvent[]
): Promise<Array<{ conversationId: string; inserted: boolean }>> {
  if (!batch.length) return []
  const known = await storedConversations(
    trx,
    batch.map((item) => item.message.id)
  )
  // A wamid twice in one batch is one message: its first delivery.
  const fresh = new Map<string, BatchMessage>()
  for (const item of batch) {
    if (!known.has(item.message.id) && !fresh.has(item.message.id)) {
      fresh.set(item.message.id, item)
    }
  }
  const newItems = [...fresh.values()]
  // The latest name a sender goes by in this batch.
  const profiles = new Map<string, string | null>()
  for (const item of newItems) {
    if (item.profileName !== null || !profiles.has(item.waId)) {
      profiles.set(item.waId, item.profileName)
    }
  }
  const senders = [...profiles].map(([waId, profileName]) => ({
    waId,
    phone: e164FromWaId(waId),
    profileName,
  }))
  const { contacts, created } = await contactsOfSenders(trx, tenant, senders)
  pending.push(...created.map((data) => ({ name: 'contact:created' as const, data })))
  const conversations = await openConversations(
    trx,
    tenant,
    newItems.map((item) => ({ contactId: contacts.get(item.waId)!, channelId: item.channelId })),
    pending
  )
  await lockConversations(trx, conversations)
  const inserted = await insertInboundMessages(
    trx,
    newItems.map((item, index) => {
      const fields = describeInboundMessage(item.message)
      return {
        conversationId: conversations[index],
        channelId: item.channelId,
        contactId: contacts.get(item.waId)!,
        externalId: item.message.id,
        type: fields.type,
        body: fields.body,
        payload: fields.payload,
        media: fields.media,
        replyToExternalId: fields.replyToExternalId,
        at: dateFromUnix(item.message.timestamp) ?? new Date(),
      }
    })
  )
  // Another worker stored some between our check and insert: theirs stand.
  const lost = newItems.filter((item) => !inserted.has(item.message.id))
  const winners = await storedConversations(
    trx,
    lost.map((item) => item.message.id)
  )
  const firsts = new Set<string>()
  return batch.map((item) => {
    const id = item.message.id
    const first = !firsts.has(id)
    firsts.add(id)
    const stored = inserted.get(id)
    if (stored) return { conversationId: stored.conversationId, inserted: first }
    const conversationId = known.get(id) ?? winners.get(id)
    if (!conversationId) throw new Error(`message ${id} was neither stored nor found`)
    return { conversationId, inserted: false }
  })
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
    const [conversationId] = await openConversations(trx, tenant, [input], pending)
    const inserted = await insertInboundMessages(trx, [{ ...input, conversationId }])
    const stored = inserted.get(input.externalId)
    if (stored) return { ...stored, inserted: true }
    // Another worker stored the same id between our check and insert.
    const winner = await storedMessage(trx, input.externalId)
    return {
      conversationId: winner?.conversationId ?? conversationId,
      messageId: winner?.messageId ?? '',
      inserted: false,
    }
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

/** The conversation of each already stored message among `externalIds`. */
async function storedConversations(trx: TransactionClientContract, externalIds: string[]) {
  const byId = new Map<string, string>()
  if (!externalIds.length) return byId
  const found = await trx.rawQuery(
    `select external_id, conversation_id from messages where external_id = any(?::text[])`,
    [externalIds]
  )
  for (const row of found.rows as Array<{ external_id: string; conversation_id: string }>) {
    byId.set(row.external_id, row.conversation_id)
  }
  return byId
}

/**
 * Inserts inbound messages, in the given order (seq, the tie-breaker for
 * messages stamped in the same second), then has the inbox count the ones
 * inserted on their conversations (the caller has locked those). Returns
 * each message inserted, by external id (one stored meanwhile by another
 * worker is left out).
 */
async function insertInboundMessages(
  trx: TransactionClientContract,
  rows: Array<InboundMessageInput & { conversationId: string }>
): Promise<Map<string, { messageId: string; conversationId: string }>> {
  const byId = new Map<string, { messageId: string; conversationId: string }>()
  if (!rows.length) return byId
  const column = <T>(pick: (row: (typeof rows)[number]) => T) => rows.map(pick)
  const inserted = await trx.rawQuery(
    `with input as (
        select * from unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::text[], ?::text[], ?::text[],
            ?::jsonb[], ?::jsonb[], ?::text[], ?::timestamptz[]) with ordinality
          as i(conversation_id, contact_id, channel_id, external_id, type, body, payload, media,
            reply_to_external_id, at, position)
      ),
      inserted as (
        insert into messages (conversation_id, contact_id, channel_id, direction, external_id, type,
          body, payload, media, status, author_type, reply_to_external_id, provider_timestamp)
        select conversation_id, contact_id, channel_id, 'inbound', external_id, type, body,
            payload, media, 'received', 'contact', reply_to_external_id, at
          from input order by position
        on conflict (external_id) do nothing
        returning id, external_id, conversation_id, provider_timestamp
      )
      select id, external_id, conversation_id, provider_timestamp from inserted`,
    [
      column((row) => row.conversationId),
      column((row) => row.contactId),
      column((row) => row.channelId),
      column((row) => row.externalId),
      column((row) => row.type),
      column((row) => row.body),
      column((row) => JSON.stringify(row.payload)),
      column((row) => (row.media ? JSON.stringify(row.media) : null)),
      column((row) => row.replyToExternalId ?? null),
      column((row) => row.at),
    ] as unknown as SqlValue[]
  )
  const rowsIn = inserted.rows as Array<{
    id: string
    external_id: string
    conversation_id: string
    provider_timestamp: Date | string
  }>
  for (const row of rowsIn) {
    byId.set(row.external_id, { messageId: row.id, conversationId: row.conversation_id })
  }
  // A conversation is counted only for the rows that were inserted.
  await countInboundMessages(
    trx,
    rowsIn.map((row) => ({
      conversationId: row.conversation_id,
      at: new Date(row.provider_timestamp),
    }))
  )
  return byId
}

/** The inbox's conversations in progress (or new ones), their openings queued as events. */
async function openConversations(
  trx: TransactionClientContract,
  tenant: TenantContext,
  wanted: Array<{ contactId: string; channelId: string }>,
  pending: PendingEvent[]
) {
  const { ids, created } = await activeConversationsFor(trx, tenant, wanted)
  pending.push(...created.map((data) => ({ name: 'conversation:created' as const, data })))
  return ids
}

/** Records a failed attempt (a drain then leaves the event to a retry job of its own). */
async function recordWebhookEventFailure(eventId: string, error: unknown) {
  const message = error instanceof Error ? error.message : String(error)
  await db.rawQuery(
    `update webhook_events set attempts = attempts + 1, last_error = ? where id = ?`,
    [message.slice(0, 2000), eventId]
  )
}
