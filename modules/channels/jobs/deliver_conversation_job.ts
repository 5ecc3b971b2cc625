import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { deliverWaitingMessages, ORDER_WINDOW_MS } from '../services/inbound_ordering.js'
import { BUSY_RETRY_MS, enqueueInboundDelivery } from '../services/inbound_queue.js'

/**
 * Emits `message:received` for a workspace's new inbound messages in
 * WhatsApp's order (see deliverWaitingMessages), and asks for the next run
 * when some are left: shortly if another run was at it, after the order
 * window if some wait for an earlier webhook, when the next conversation's
 * window closes. A rerun after a worker died picks up whatever is still
 * unprocessed. (Jobs queued before hand-offs were per workspace name
 * conversations; the run hands those on with the rest.)
 */
export default class DeliverConversationJob extends TenantJob<TenantJobPayload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext) {
    const outcome = await deliverWaitingMessages(tenant)
    const after = [
      outcome.busy ? BUSY_RETRY_MS : null,
      outcome.held ? ORDER_WINDOW_MS : null,
      outcome.nextDueMs,
    ].filter((delay): delay is number => delay !== null)
    if (after.length) await enqueueInboundDelivery(tenant, Math.min(...after))
  }
}
