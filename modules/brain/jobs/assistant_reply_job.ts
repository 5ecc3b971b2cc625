import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { replyToInboundMessage } from '../services/assistant_service.js'

interface Payload extends TenantJobPayload {
  messageId: string
}

/**
 * The assistant's turn for one inbound message (see
 * services/assistant_service.ts). Dispatched with a job id made from the
 * message id, so a redelivered `message:received` adds no second run.
 */
export default class AssistantReplyJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { messageId }: Payload) {
    await replyToInboundMessage(tenant, messageId)
  }
}
