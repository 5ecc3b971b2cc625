import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { deliverConversation } from '../services/inbound_ordering.js'

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
    await deliverConversation(tenant, payload.conversationId)
  }
}
