import { Job } from '@rlanz/bull-queue'
import { upsertSchedule, type Schedule } from '#app/queue/schedules'
import { RECOVERY_INTERVAL_MS, sweepStrandedDeliveries } from '../services/webhook_recovery.js'
import { WEBHOOKS_QUEUE } from './deliver_webhook_job.js'

/** One period of the stranded-delivery sweep (see services/webhook_recovery.ts). */
export default class WebhookRecoveryJob extends Job {
  static get $$filepath() {
    return import.meta.url
  }

  // Not retried: the next period sweeps again (the worker pool logs the failure).
  async rescue() {}

  async handle() {
    await sweepStrandedDeliveries()
  }
}

/** One schedule for the cluster, run by whichever webhooks worker is free. */
export const WEBHOOK_RECOVERY: Schedule = {
  id: 'webhook-recovery',
  queue: WEBHOOKS_QUEUE,
  job: WebhookRecoveryJob,
  everyMs: RECOVERY_INTERVAL_MS,
}

export async function startWebhookRecovery() {
  await upsertSchedule(WEBHOOK_RECOVERY)
}
