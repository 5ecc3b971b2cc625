import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { scheduleWakeUp, wakeSnoozedConversation } from '../services/conversation_service.js'

interface Payload extends TenantJobPayload {
  conversationId: string
}

/**
 * Reopens a snoozed conversation when its time comes. Safe to run twice and
 * at any time: it only wakes a conversation still snoozed and due, so a
 * conversation reopened, resolved or snoozed again meanwhile is left alone.
 * A job that fires before the time (clocks differ a little between the
 * queue and the database) queues itself again for the rest.
 */
export default class WakeSnoozedJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { conversationId }: Payload) {
    const result = await wakeSnoozedConversation(tenant, conversationId)
    if (result.outcome === 'early') {
      await scheduleWakeUp(tenant, conversationId, result.until, true)
    }
    return result.outcome
  }
}
