import { DelayedError } from 'bullmq'
import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { attemptDelivery } from '../services/webhook_delivery_service.js'

/** Deliveries have a queue of their own: a slow receiver never holds up a message send. */
export const WEBHOOKS_QUEUE = 'webhooks'

interface Payload extends TenantJobPayload {
  deliveryId: string
}

/**
 * Delivers one webhook event to one subscription. A retry is the same job
 * put back on the delayed list until the delivery's next attempt time, not
 * a BullMQ "failure": the schedule (exponential, jittered, for 24 hours) is
 * ours, and the delivery row, not the job, is the record of what happened.
 * Running it twice is harmless: the row is claimed before each attempt and
 * a delivered row is never sent again.
 */
export default class DeliverWebhookJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { deliveryId }: Payload) {
    const next = await attemptDelivery(tenant, deliveryId)
    if (!next) return
    const job = this.getJob()
    await job.moveToDelayed(next.retryAt.getTime(), job.token)
    throw new DelayedError()
  }
}
