import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { deliverConversations } from '../services/inbound_ordering.js'
import { enqueueConversationDeliveries } from '../services/inbound_queue.js'

interface Payload extends TenantJobPayload {
  conversationIds?: string[]
  /** Jobs queued before deliveries were batched name one conversation. */
  conversationId?: string
}

/**
 * Emits `message:received` for conversations' new inbound messages in
 * WhatsApp's order (see deliverConversations). A rerun after a worker died
 * picks up whatever is still unprocessed.
 */
export default class DeliverConversationJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, payload: Payload) {
    const ids = payload.conversationIds ?? (payload.conversationId ? [payload.conversationId] : [])
    const { held, busy } = await deliverConversations(tenant, ids)
    // Waiting for an earlier webhook of the same customer: look again after the order window.
    if (held.length) await enqueueConversationDeliveries(tenant.slug, held)
    // Leased by another run, which hands on what arrived meanwhile unless it
    // died: then these move once its lease has run out.
    if (busy.length) await enqueueConversationDeliveries(tenant.slug, busy, { retry: true })
  }
}
