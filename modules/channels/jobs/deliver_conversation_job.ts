import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { deliverConversation } from '../services/inbound_ordering.js'
import { enqueueConversationDelivery } from '../services/inbound_queue.js'

interface Payload extends TenantJobPayload {
  conversationId: string
}

/**
 * Emits `message:received` for a conversation's new inbound messages in
 * WhatsApp's order. Dispatched with per-conversation deduplication; a rerun
 * after a worker died picks up whatever is still unprocessed.
 */
export default class DeliverConversationJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, payload: Payload) {
    const { held } = await deliverConversation(tenant, payload.conversationId)
    // Waiting for an earlier webhook of the same customer: look again after
    // the order window (deduplication parks this until the run ends).
    if (held) await enqueueConversationDelivery(tenant.slug, payload.conversationId)
  }
}
