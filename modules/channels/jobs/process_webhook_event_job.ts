import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import {
  markWebhookEventProcessed,
  processWebhookEvent,
  recordWebhookEventFailure,
} from '../services/inbound_processing.js'
import { enqueueConversationDelivery } from '../services/inbound_queue.js'

interface Payload extends TenantJobPayload {
  eventId: string
}

/**
 * Processes one stored WhatsApp webhook (webhook_events row): stores its
 * messages, applies its statuses, then queues the ordered hand-off of every
 * conversation it touched. Safe to run twice or at once with itself.
 */
export default class ProcessWebhookEventJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, payload: Payload) {
    try {
      const result = await processWebhookEvent(tenant, payload.eventId)
      if (!result) return
      // Every conversation of the event, not only those that got a new row:
      // a retry after a failed dispatch must still hand its messages on.
      for (const conversationId of result.conversationIds) {
        await enqueueConversationDelivery(tenant.slug, conversationId)
      }
      // Last: an event is done only once its deliveries are queued, so a
      // crash anywhere before leaves it for the retry or the sweep.
      await markWebhookEventProcessed(payload.eventId)
    } catch (error) {
      await recordWebhookEventFailure(payload.eventId, error).catch(() => {})
      throw error
    }
  }
}
