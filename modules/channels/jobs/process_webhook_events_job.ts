import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import {
  loadWebhookEvents,
  markWebhookEventsProcessed,
  processStoredEvent,
  processStoredEvents,
  recordWebhookEventFailure,
  type ProcessedWebhook,
} from '../services/inbound_processing.js'
import { enqueueConversationDeliveries } from '../services/inbound_queue.js'

interface Payload extends TenantJobPayload {
  eventIds: string[]
}

/**
 * Processes stored WhatsApp webhooks (webhook_events rows) of one tenant,
 * those one commit stored together: stores their messages, applies their
 * statuses, then queues the ordered hand-off of every conversation they
 * touched. Safe to run twice or at once with itself.
 *
 * The events are stored in one transaction. One event failing does not
 * hold the others back: they are then processed one by one and marked, the
 * failure is recorded on its row, and the job fails so BullMQ retries it (a
 * retry finds only the failed event left to do).
 */
export default class ProcessWebhookEventsJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, payload: Payload) {
    const events = await loadWebhookEvents(payload.eventIds)
    const done: string[] = []
    const conversationIds = new Set<string>()
    const failures: Array<{ eventId: string; error: unknown }> = []
    const record = (eventId: string, result: ProcessedWebhook | null) => {
      if (!result) return
      // Every conversation of the event, not only those that got a new row:
      // a retry after a failed dispatch must still hand them on.
      for (const id of result.conversationIds) conversationIds.add(id)
      done.push(eventId)
    }
    try {
      // Usually all in one transaction, one commit for the job.
      const results = await processStoredEvents(tenant, events)
      for (const [eventId, result] of results) record(eventId, result)
    } catch {
      // Something failed and nothing was kept: one by one, so only the
      // culprit is left for the retry.
      for (const event of events) {
        try {
          record(event.id, await processStoredEvent(tenant, event))
        } catch (error) {
          failures.push({ eventId: event.id, error })
        }
      }
    }
    await enqueueConversationDeliveries(tenant.slug, [...conversationIds])
    // Last: an event is done only once its deliveries are queued, so a crash
    // anywhere before leaves it for the retry or the sweep.
    await markWebhookEventsProcessed(done)

    for (const failure of failures) {
      await recordWebhookEventFailure(failure.eventId, failure.error).catch(() => {})
    }
    if (failures.length) {
      const [first] = failures
      const reason = first.error instanceof Error ? first.error.message : String(first.error)
      throw new Error(
        `${failures.length} of ${payload.eventIds.length} webhook event(s) failed (event ${first.eventId}: ${reason})`,
        { cause: first.error }
      )
    }
  }
}
