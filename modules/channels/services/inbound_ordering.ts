import logger from '@adonisjs/core/services/logger'
import emitter from '@adonisjs/core/services/emitter'
import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import { inWorkBatch } from '#app/queue/work_batch'
import type { TenantContext } from '#modules/tenancy/index'
import type { MessageReceivedEvent } from '../events.js'

interface UnprocessedMessage {
  id: string
  external_id: string | null
  conversation_id: string
  contact_id: string
  channel_id: string
  type: string
  body: string | null
  provider_timestamp: Date | null
}

/**
 * Hands conversations' stored-but-not-yet-processed inbound messages
 * downstream (`message:received`) in WhatsApp's order, a batch of
 * conversations at a time: per round one statement finds the ones held
 * (below), one reads the others' messages, one marks them; messages of
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
      const waiting = await heldConversations(tenant, lease.claimed)
      for (const id of waiting) held.add(id)
      todo = lease.claimed.filter((id) => !waiting.has(id))
      const batch = todo.length ? await unprocessedMessages(tenant, todo) : []
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

async function unprocessedMessages(tenant: TenantContext, conversationIds: string[]) {
  const result = await db.rawQuery(
    `select id, external_id, conversation_id, contact_id, channel_id, type, body, provider_timestamp
      from ${tenant.table('messages')}
      where conversation_id = any(?::uuid[]) and direction = 'inbound' and processed_at is null
      order by conversation_id, sort_at, seq
      limit ?`,
    [conversationIds, BATCH_SIZE]
  )
  return result.rows as UnprocessedMessage[]
}

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
 * How long a run may hand a conversation on before another may: far more
 * than a round takes, short enough that a dead worker's conversations move
 * again soon.
 */
export const DELIVERY_LEASE_MS = 20_000

/** Sets each free key (KEYS) to the run's token; answers 1 for each it set, 0 for each leased. */
const CLAIM_SCRIPT = `local claimed = {}
for i, key in ipairs(KEYS) do
  claimed[i] = redis.call('set', key, ARGV[1], 'PX', ARGV[2], 'NX') and 1 or 0
end
return claimed`

/** Deletes the keys (KEYS) that still hold the run's token. */
const RELEASE_SCRIPT = `local released = 0
for _, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[1] then released = released + redis.call('del', key) end
end
return released`

/**
 * Leases the conversations not leased by another run, in one command (a
 * script over all of them: one round trip and one parse for the whole
 * batch); release() gives back those still ours (a lease that ran out may
 * be someone else's by then).
 */
async function claimConversations(conversationIds: string[]) {
  const token = randomUUID()
  const keys = conversationIds.map((id) => `delivering:${id}`)
  const answers = (await redis.eval(
    CLAIM_SCRIPT,
    keys.length,
    ...keys,
    token,
    DELIVERY_LEASE_MS
  )) as number[]
  const claimed = conversationIds.filter((_, index) => answers[index] === 1)
  return {
    claimed,
    release: async () => {
      if (!claimed.length) return
      const ours = claimed.map((id) => `delivering:${id}`)
      await redis.eval(RELEASE_SCRIPT, ours.length, ...ours, token)
    },
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
 * The conversations among `conversationIds` whose customer has a webhook
 * stored but not yet processed. Its message may be stamped earlier than the
 * ones waiting here (webhooks are processed in parallel, and a worker can
 * die mid-event), so handing these on now could put them out of order.
 */
async function heldConversations(tenant: TenantContext, conversationIds: string[]) {
  const pending = await db.rawQuery(
    `select c.id from ${tenant.table('conversations')} c
      join ${tenant.table('contacts')} ct on ct.id = c.contact_id
      where c.id = any(?::uuid[]) and ct.wa_id is not null
        and exists (select 1 from webhook_events we
          where we.senders @> array[ct.wa_id::text] and we.processed_at is null
            and we.tenant_id = ? and we.channel_id = c.channel_id and we.received_at > ?)`,
    [conversationIds, tenant.id, new Date(Date.now() - HOLD_LIMIT_MS)]
  )
  return new Set((pending.rows as Array<{ id: string }>).map((row) => row.id))
}
