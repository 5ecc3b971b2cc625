import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { autoAssignConversation } from '../services/auto_assignment.js'

interface Payload extends TenantJobPayload {
  conversationId: string
}

/** Round-robin assignment of a new conversation (see services/auto_assignment.ts). */
export default class AutoAssignJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { conversationId }: Payload) {
    await autoAssignConversation(tenant, conversationId)
  }
}
