import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { autoAssignConversation } from '../services/auto_assignment.js'
import { assignmentWaits } from '../services/extensions.js'

interface Payload extends TenantJobPayload {
  conversationId: string
}

/** Round-robin assignment of a new conversation (see services/auto_assignment.ts). */
export default class AutoAssignJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { conversationId }: Payload) {
    // Where the assistant answers first (a registered gate), assignment
    // waits for its handoff.
    if (await assignmentWaits(tenant, conversationId)) return
    await autoAssignConversation(tenant, conversationId)
  }
}
