import { conversationIn } from '#modules/inbox/index'
import { TenantJob, dispatchTenantJob, dispatchTenantJobInBatch } from '#modules/tenancy/index'
import type { TenantContext, TenantJobPayload } from '#modules/tenancy/index'
import { updateContactMemory } from '../services/memory/updater.js'

interface Payload extends TenantJobPayload {
  /** The conversation whose messages prompted the update; its contact's memory is updated. */
  conversationId: string
}

/**
 * How long a chat stays quiet before its memory is updated: each inbound
 * message pushes the update back, so a busy chat is summarised once it
 * settles, not after every line.
 */
export const MEMORY_QUIET_MS = 10 * 60_000

/**
 * Updates the memory of a conversation's contact from the messages it has
 * not read yet (see updateContactMemory). Safe to run twice: the second run
 * finds nothing new.
 */
export default class UpdateMemoryJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { conversationId }: Payload) {
    const conversation = await tenant.transaction((trx) => conversationIn(trx, conversationId))
    if (!conversation) return { status: 'no_contact' as const }
    return updateContactMemory(tenant, conversation.contactId)
  }
}

/**
 * Queues the update of a conversation's memory: after `delay` (debounced:
 * a later call while one waits replaces it and starts the wait again), or
 * at once (a resolved conversation, which also replaces a waiting one).
 */
export function scheduleMemoryUpdate(
  tenant: Pick<TenantContext, 'slug'>,
  conversationId: string,
  delay = MEMORY_QUIET_MS
) {
  return dispatchTenantJob(
    UpdateMemoryJob,
    tenant,
    { conversationId },
    memoryUpdateOptions(tenant, conversationId, delay)
  )
}

/**
 * scheduleMemoryUpdate for a received message: inside a work batch (the
 * inbound hand-off) a conversation's messages make one schedule, queued
 * with the batch's other jobs: the same wait, restarted once per batch
 * instead of once per message.
 */
export function scheduleMemoryUpdateInBatch(
  tenant: Pick<TenantContext, 'slug'>,
  conversationId: string
) {
  const options = memoryUpdateOptions(tenant, conversationId, MEMORY_QUIET_MS)
  return dispatchTenantJobInBatch(
    UpdateMemoryJob,
    tenant,
    { conversationId },
    { ...options, coalesce: options.deduplication.id }
  )
}

function memoryUpdateOptions(
  tenant: Pick<TenantContext, 'slug'>,
  conversationId: string,
  delay: number
) {
  return {
    delay,
    // A waiting (delayed) update is replaced, which restarts the wait; one
    // that is running gets a single follow-up, so no message is left unread.
    deduplication: {
      id: `memory:${tenant.slug}:${conversationId}`,
      replace: true,
      keepLastIfActive: true,
    },
    removeOnComplete: true,
    attempts: 3,
    backoff: { type: 'exponential' as const, delay: 5_000 },
  }
}
