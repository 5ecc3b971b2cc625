import logger from '@adonisjs/core/services/logger'
import emitter from '@adonisjs/core/services/emitter'
import db from '@adonisjs/lucid/services/db'
import { claimLeases } from './leases.js'
import { inWorkBatch } from '#app/queue/work_batch'
import type { TenantContext } from '#modules/tenancy/index'
import type { MessageReceivedEvent } from '../events.js'

/**
 * How long a delivery job waits before handing conversations' messages on.
 * WhatsApp does not promise to deliver webhooks in order; messages of one
 * conversation that arrive within this window are handed downstream sorted
 * by WhatsApp's timestamp. A message that arrives later than that, stamped
 * earlier than one already handed on, follows it (the alternative is holding
 * every conversation back indefinitely).
 */
export const ORDER_WINDOW_MS = 1_000

interface UnprocessedMessage {
  id: string
  external_id: string | null
  conversation_id: string
  contact_id: string
  channel_id: string
  type: string
  body: string | null
  /** As JSON gives it (ISO text). */
  provider_timestamp: string | null
}

/**
 * Hands conversations' stored-but-not-yet-processed inbound messages
 * downstream (`message:received`) in WhatsApp's order, a batch of
 * conversations at a time: per round one statement finds the ones held
 * and reads the others' messages (below), one marks them; messages of
 * different conversations are emitted concurrently, each conversation's
 * strictly in order.
 *
 * Why this is separate from storing: webhooks arrive out of order and are
 * stored by whichever worker picks them up first, so storing order means
 * nothing. Order is decided here, from sort_at (WhatsApp's timestamp; then
 * arrival sequence for messages stamped in the same second), by one
 * delivery at a time per conversation: a run holds a short lease on each
 * conversation it hands on (Redis, see claimConversations). A conversation
 * another run holds is that run's: after giving its leases back, a run
 * looks again for messages that arrived meanwhile and hands them on too,
 * so nothing is left behind. Should a run die, its leases expire: the
 * conversations it found leased are reported `busy`, for the caller to try
 * again once a lease would have run out; `held` ones (waiting for an
 * earlier webhook, or still writing after a few rounds) after the order
 * window.
 *
 * Why emit first and mark after: a worker can die at any point. Marking
 * first would lose the messages of a crash between commit and emit (the rerun
 * finds them processed). Emitting first means a rerun after such a crash
 * emits that batch again, so delivery is at least once and listeners key
 * their work on messageId. A finished batch is never emitted again:
 * processed_at is what a rerun reads. The reads and the marking are single
 * statements naming the tenant's schema, with no transaction held across
 * the emit: listeners may use the database, and in the embedded database an
 * open transaction would block them forever.
 */
export async function deliverConversations(
  tenant: TenantContext,
  conversationIds: string[]
): Promise<{ delivered: number; held: string[]; busy: string[] }> {
  const held = new Set<string>()
  const busy = new Set<string>()
  let delivered = 0
  let todo = [...new Set(conversationIds)]
  for (let round = 1; todo.length; round++) {
    if (round > MAX_ROUNDS) {
      // A conversation that keeps writing: the rest after the order window.
      for (const id of todo) held.add(id)
      break
    }
    const lease = await claimConversations(todo)
    for (const id of todo) if (!lease.claimed.includes(id)) busy.add(id)
    if (!lease.claimed.length) break
    let found = 0
    try {
      const next = await deliverableMessages(tenant, lease.claimed)
      for (const id of next.held) held.add(id)
      todo = lease.claimed.filter((id) => !next.held.has(id))
      const batch = next.messages
      found = batch.length
      if (found) {
        // Listeners' jobs and notices are queued together when the batch's
        // emits are done, and before it is marked (see app/queue/work_batch.ts).
        await inWorkBatch(() => emitInOrder(tenant, batch))
        await db.rawQuery(
          `update ${tenant.table('messages')} set processed_at = now()
            where id = any(?::uuid[]) and processed_at is null`,
          [batch.map((message) => message.id)]
        )
        delivered += found
      }
    } finally {
      await lease.release()
    }
    // Nothing left when we looked; a run that found these leased meanwhile
    // left its messages to us: look once more, now that the leases are back.
    if (!found) todo = todo.length ? await stillWaiting(tenant, todo) : []
  }
  for (const id of held) busy.delete(id)
  return { delivered, held: [...held], busy: [...busy] }
}

/** Messages read per round, over all the conversations of a run. */
const BATCH_SIZE = 500
/** Rounds a run makes before leaving what keeps arriving to the next one. */
const MAX_ROUNDS = 4

/** The conversations among `conversationIds` with inbound messages not yet handed on. */
async function stillWaiting(tenant: TenantContext, conversationIds: string[]) {
  const result = await db.rawQuery(
    `select distinct conversation_id from ${tenant.table('messages')}
      where conversation_id = any(?::uuid[]) and direction = 'inbound' and processed_at is null`,
    [conversationIds]
  )
  return (result.rows as Array<{ conversation_id: string }>).map((row) => row.conversation_id)
}

/** Each conversation's messages in order; different conversations side by side. */
async function emitInOrder(tenant: TenantContext, batch: UnprocessedMessage[]) {
  const byConversation = new Map<string, UnprocessedMessage[]>()
  for (const message of batch) {
    const list = byConversation.get(message.conversation_id) ?? []
    list.push(message)
    byConversation.set(message.conversation_id, list)
  }
  await Promise.all(
    [...byConversation.values()].map(async (messages) => {
      for (const message of messages) await emitReceived(tenant, message)
    })
  )
}

async function emitReceived(tenant: TenantContext, message: UnprocessedMessage) {
  const event: MessageReceivedEvent = {
    tenant: tenant.slug,
    tenantId: tenant.id,
    messageId: message.id,
    externalId: message.external_id,
    conversationId: message.conversation_id,
    contactId: message.contact_id,
    channelId: message.channel_id,
    type: message.type,
    text: message.body,
    providerTimestamp: message.provider_timestamp
      ? new Date(message.provider_timestamp).toISOString()
      : null,
  }
  try {
    await emitter.emit('message:received', event)
  } catch (error) {
    // A failing listener must not hold the conversation back or make the
    // others hear the message twice; it owns its own retries.
    logger.error({ err: error, messageId: message.id }, 'message:received listener failed')
  }
}

/**
 * How long a run may hand a conversation on before another may. A live run
 * renews its leases for as long as it holds them (see claimLeases), so a
 * slow round keeps them; a dead run's lapse within this, and its
 * conversations move again (bench:ingest's killed worker left them stuck
 * for the 20 s this used to be).
 */
export const DELIVERY_LEASE_MS = 4_000

/**
 * Leases the conversations not leased by another run (see claimLeases),
 * renewed until release().
 */
async function claimConversations(conversationIds: string[]) {
  const lease = await claimLeases(
    conversationIds.map((id) => `delivering:${id}`),
    DELIVERY_LEASE_MS
  )
  return {
    claimed: conversationIds.filter((_, index) => lease.held[index]),
    release: lease.release,
  }
}

/**
 * How long a conversation waits for a stuck webhook of its sender. A worker
 * that died holding one comes back through BullMQ's stalled check (30 s) or
 * the recovery sweep; an event still unprocessed after this long is failing
 * for its own reasons and must not hold the customer's later messages.
 */
export const HOLD_LIMIT_MS = 5 * 60_000

/**
 * Up to BATCH_SIZE inbound messages of `conversationIds` not yet handed on
 * and free to go, in order, and the conversations left with messages that
 * must wait (`held`), read in one statement so both come from one snapshot
 * (read apart, a message stored between the two reads would be handed on
 * without having been weighed).
 *
 * A message waits while its customer has a webhook stored but not yet
 * processed that may carry an earlier message: one whose earliest message
 * was sent before it (by WhatsApp's clock, which is the order), or that
 * does not say when. Webhooks are processed in parallel, and one can fail
 * and wait for its retry, so handing the message on now could put it out of
 * order. A webhook of later messages does not hold it: a customer who keeps
 * writing always has one on its way. What waits is the tail of the
 * conversation from the first such message, never a message ahead of one
 * that waits. A webhook unprocessed for HOLD_LIMIT_MS holds nothing.
 */
async function deliverableMessages(tenant: TenantContext, conversationIds: string[]) {
  const result = await db.rawQuery(
    `with waiting as (
        select id, external_id, conversation_id, contact_id, channel_id, type, body,
            provider_timestamp, sort_at, seq
          from ${tenant.table('messages')}
          where conversation_id = any(?::uuid[]) and direction = 'inbound' and processed_at is null
      ),
      blocking as (
        select c.id as conversation_id,
            min(coalesce(we.earliest_message_at, '-infinity'::timestamptz)) as sent_at
          from ${tenant.table('conversations')} c
          join ${tenant.table('contacts')} ct on ct.id = c.contact_id
          join webhook_events we on we.senders @> array[ct.wa_id::text]
            and we.processed_at is null and we.tenant_id = ? and we.channel_id = c.channel_id
            and we.received_at > ?
          where c.id in (select conversation_id from waiting) and ct.wa_id is not null
          group by c.id
      ),
      ready as (
        select w.*, b.sent_at is not null and w.sort_at > b.sent_at as waits
          from waiting w left join blocking b using (conversation_id)
      ),
      batch as (
        select * from ready where not waits order by conversation_id, sort_at, seq limit ?
      )
      select
        (select coalesce(json_agg(distinct conversation_id), '[]') from ready where waits) as held,
        (select coalesce(json_agg(b order by b.conversation_id, b.sort_at, b.seq), '[]')
          from batch b) as messages`,
    [conversationIds, tenant.id, new Date(Date.now() - HOLD_LIMIT_MS), BATCH_SIZE]
  )
  const row = result.rows[0] as { held: string[]; messages: UnprocessedMessage[] }
  return { held: new Set(row.held), messages: row.messages }
}
