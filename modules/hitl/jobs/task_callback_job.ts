import { DelayedError } from 'bullmq'
import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { attemptCallback } from '../services/callbacks.js'

interface Payload extends TenantJobPayload {
  callbackId: string
}

/**
 * Posts a resolved task's callback. A retry is the same job moved back to
 * the delayed list until the next attempt time (the schedule is the
 * webhooks'); the row, not the job, records what happened, and is claimed
 * before each attempt, so running the job twice sends once.
 */
export default class TaskCallbackJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { callbackId }: Payload) {
    const next = await attemptCallback(tenant, callbackId)
    if (!next) return
    const job = this.getJob()
    await job.moveToDelayed(next.retryAt.getTime(), job.token)
    throw new DelayedError()
  }
}
