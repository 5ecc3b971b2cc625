import logger from '@adonisjs/core/services/logger'
import emitter from '@adonisjs/core/services/emitter'
import db from '@adonisjs/lucid/services/db'
import type { TenantContext } from '#modules/tenancy/index'
import type { MessageReceivedEvent } from '../events.js'

const BATCH_SIZE = 100

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
 * Hands a conversation's stored-but-not-yet-processed inbound messages
 * downstream (`message:received`) in WhatsApp's order.
 *
 * Why this is separate from storing: webhooks arrive out of order and are
 * stored by whichever worker picks them up first, so storing order means
 * nothing. Order is decided here, from sort_at (WhatsApp's timestamp; then
 * arrival sequence for messages stamped in the same second), by one delivery at a
 * time per conversation: BullMQ deduplication keeps one job per
 * conversation running (see enqueueConversationDeliveries). Should a stalled
 * job's rerun overlap the original, both hand on the same messages, which
 * listeners tolerate (below).
 *
 * Why emit first and mark after: a worker can die at any point. Marking
 * first would lose the messages of a crash between commit and emit (the rerun
 * finds them processed). Emitting first means a rerun after such a crash
 * emits that batch again, so delivery is at least once and listeners key
 * their work on messageId. A finished batch is never emitted again:
 * processed_at is what a rerun reads. The read and the marking are single
 * statements naming the tenant's schema, with no transaction held across
 * the emit: listeners may use the database, and in the embedded database an
 * open transaction would block them forever.
 */
export async function deliverConversation(
  tenant: TenantContext,
  conversationId: string
): Promise<{ delivered: number; held: boolean }> {
  if (await hasEarlierEventPending(tenant, conversationId)) return { delivered: 0, held: true }
  let delivered = 0
  for (;;) {
    const result = await db.rawQuery(
      `select id, external_id, conversation_id, contact_id, channel_id, type, body, provider_timestamp
        from ${tenant.table('messages')}
        where conversation_id = ? and direction = 'inbound' and processed_at is null
        order by sort_at, seq
        limit ?`,
      [conversationId, BATCH_SIZE]
    )
    const batch = result.rows as UnprocessedMessage[]
    if (!batch.length) break

    for (const message of batch) {
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

    await db.rawQuery(
      `update ${tenant.table('messages')} set processed_at = now()
        where id = any(?) and processed_at is null`,
      [batch.map((message) => message.id)]
    )
    delivered += batch.length
    if (batch.length < BATCH_SIZE) break
  }
  return { delivered, held: false }
}

/**
 * How long a conversation waits for a stuck webhook of its sender. A worker
 * that died holding one comes back through BullMQ's stalled check (30 s) or
 * the recovery sweep; an event still unprocessed after this long is failing
 * for its own reasons and must not hold the customer's later messages.
 */
export const HOLD_LIMIT_MS = 5 * 60_000

/**
 * Whether a webhook carrying a message of this conversation's customer is
 * stored but not yet processed. Its message may be stamped earlier than the
 * ones waiting here (webhooks are processed in parallel, and a worker can
 * die mid-event), so handing these on now could put them out of order.
 */
async function hasEarlierEventPending(tenant: TenantContext, conversationId: string) {
  // One statement, not a tenant transaction and a second query: this runs
  // for every delivery.
  const pending = await db.rawQuery(
    `select 1 from ${tenant.table('conversations')} c
      join ${tenant.table('contacts')} ct on ct.id = c.contact_id
      join webhook_events we on we.senders @> array[ct.wa_id::text]
      where c.id = ? and ct.wa_id is not null
        and we.processed_at is null and we.tenant_id = ? and we.channel_id = c.channel_id
        and we.received_at > ?
      limit 1`,
    [conversationId, tenant.id, new Date(Date.now() - HOLD_LIMIT_MS)]
  )
  return pending.rows.length > 0
}
