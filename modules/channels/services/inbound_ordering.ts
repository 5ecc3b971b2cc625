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
 * Hands a workspace's stored-but-not-yet-processed inbound messages
 * downstream (`message:received`) in WhatsApp's order: per round one
 * statement reads the messages that may go (below), one marks them;
 * messages of different conversations are emitted concurrently, each
 * conversation's strictly in order.
 *
 * Why this is separate from storing: webhooks arrive out of order and are
 * stored by whichever worker picks them up first, so storing order means
 * nothing. Order is decided here, from sort_at (WhatsApp's timestamp; then
 * arrival sequence for messages stamped in the same second), by one run at
 * a time per workspace: a run holds the workspace's lease (Redis, renewed
 * while it runs, see claimLeases). A run that finds it held reports `busy`
 * and its caller looks again shortly; should the holder die, its lease
 * lapses within DELIVERY_LEASE_MS. (A lease per conversation let many runs
 * share a workspace, but under load they mostly found each other's
 * conversations leased, and the messages waited for the retries.) A
 * conversation goes once its oldest waiting message has waited the order
 * window, with what is ready of it; `held` says some wait for an earlier
 * webhook (look again after the window), `nextDueMs` when the next
 * conversation's window closes.
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
export async function deliverWaitingMessages(tenant: TenantContext): Promise<{
  delivered: number
  held: boolean
  busy: boolean
  nextDueMs: number | null
}> {
  const lane = await claimLeases([`delivering:${tenant.id}`], DELIVERY_LEASE_MS)
  if (!lane.held[0]) return { delivered: 0, held: false, busy: true, nextDueMs: null }
  let delivered = 0
  try {
    for (let round = 1; ; round++) {
      const next = await deliverableMessages(tenant)
      const batch = next.messages
      if (batch.length) {
        // Listeners' jobs and notices are queued together when the batch's
        // emits are done, and before it is marked (see app/queue/work_batch.ts).
        await inWorkBatch(() => emitInOrder(tenant, batch))
        await db.rawQuery(
          `update ${tenant.table('messages')} set processed_at = now()
            where id = any(?::uuid[]) and processed_at is null`,
          [batch.map((message) => message.id)]
        )
        delivered += batch.length
      }
      // A full batch may have left more behind; otherwise this is all for now.
      if (batch.length < BATCH_SIZE || round >= MAX_ROUNDS) {
        return { delivered, held: next.held, busy: false, nextDueMs: next.nextDueMs }
      }
    }
  } finally {
    await lane.release()
  }
}

/** Messages read per round. */
const BATCH_SIZE = 500
/** Rounds a run makes before leaving the rest to the next one. */
const MAX_ROUNDS = 10

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
 * How long a run may hand a workspace's messages on before another may. A
 * live run renews its lease for as long as it holds it (see claimLeases), so
 * a slow round keeps it; a dead run's lapses within this, and the messages
 * move again (bench:ingest's killed worker left them stuck for the 20 s
 * this used to be).
 */
export const DELIVERY_LEASE_MS = 4_000

/**
 * How long a conversation waits for a stuck webhook of its sender. A worker
 * that died holding one comes back through BullMQ's stalled check (30 s) or
 * the recovery sweep; an event still unprocessed after this long is failing
 * for its own reasons and must not hold the customer's later messages.
 */
export const HOLD_LIMIT_MS = 5 * 60_000

/**
 * Up to BATCH_SIZE of the workspace's inbound messages not yet handed on
 * and free to go, in order; whether some wait for an earlier webhook
 * (`held`); and in how long the next conversation's order window closes
 * (`nextDueMs`), all read in one statement so they come from one snapshot
 * (read apart, a message stored between two reads would be handed on
 * without having been weighed).
 *
 * A conversation is due once its oldest waiting message was stored an
 * order window ago. A message waits while its customer has a webhook stored
 * but not yet processed that may carry an earlier message: one whose
 * earliest message was sent before it (by WhatsApp's clock, which is the
 * order), or that does not say when. Webhooks are processed in parallel,
 * and one can fail and wait for its retry, so handing the message on now
 * could put it out of order. A webhook of later messages does not hold it:
 * a customer who keeps writing always has one on its way. What waits is the
 * tail of the conversation from the first such message, never a message
 * ahead of one that waits. A webhook unprocessed for HOLD_LIMIT_MS holds
 * nothing.
 */
async function deliverableMessages(tenant: TenantContext) {
  const result = await db.rawQuery(
    `with waiting as (
        select id, external_id, conversation_id, contact_id, channel_id, type, body,
            provider_timestamp, sort_at, seq, created_at
          from ${tenant.table('messages')}
          where processed_at is null and direction = 'inbound'
      ),
      conversations as (
        select conversation_id, min(created_at) + ? * interval '1 millisecond' as due_at
          from waiting group by conversation_id
      ),
      blocking as (
        select c.id as conversation_id,
            min(coalesce(we.earliest_message_at, '-infinity'::timestamptz)) as sent_at
          from ${tenant.table('conversations')} c
          join ${tenant.table('contacts')} ct on ct.id = c.contact_id
          join webhook_events we on we.senders @> array[ct.wa_id::text]
            and we.processed_at is null and we.tenant_id = ? and we.channel_id = c.channel_id
            and we.received_at > ?
          where c.id in (select conversation_id from conversations where due_at <= now())
            and ct.wa_id is not null
          group by c.id
      ),
      ready as (
        select w.*, b.sent_at is not null and w.sort_at > b.sent_at as waits
          from waiting w join conversations d using (conversation_id)
          left join blocking b using (conversation_id)
          where d.due_at <= now()
      ),
      batch as (
        select * from ready where not waits order by conversation_id, sort_at, seq limit ?
      )
      select exists (select 1 from ready where waits) as held,
        (select coalesce(json_agg(b order by b.conversation_id, b.sort_at, b.seq), '[]')
          from batch b) as messages,
        (select ceil(extract(epoch from min(due_at) - now()) * 1000)::int from conversations
          where due_at > now()) as next_due_ms`,
    [ORDER_WINDOW_MS, tenant.id, new Date(Date.now() - HOLD_LIMIT_MS), BATCH_SIZE]
  )
  const row = result.rows[0] as {
    held: boolean
    messages: UnprocessedMessage[]
    next_due_ms: number | null
  }
  return { held: row.held, messages: row.messages, nextDueMs: row.next_due_ms }
}
