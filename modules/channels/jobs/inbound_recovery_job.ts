import { Job } from '@rlanz/bull-queue'
import { runScheduleNow, upsertSchedule, type Schedule } from '#app/queue/schedules'
import { INBOUND_QUEUE } from '../services/queue_names.js'
import {
  SWEEP_INTERVAL_MS,
  pruneProcessedWebhookEvents,
  sweepUndeliveredMessages,
  sweepUnprocessedWebhookEvents,
} from '../services/inbound_recovery.js'

/**
 * One period of the inbound recovery (see services/inbound_recovery.ts):
 * queue stored webhook events nobody processed and stored messages nobody
 * handed on, then delete old processed events. A failing sweep does not stop the pruning; the job fails afterwards
 * so the failure stays visible in the failed set.
 */
export default class InboundRecoveryJob extends Job {
  static get $$filepath() {
    return import.meta.url
  }

  // Not retried: the next period sweeps again (the worker pool logs the failure).
  async rescue() {}

  async handle() {
    const failures: unknown[] = []
    await sweepUnprocessedWebhookEvents().catch((error) => {
      this.logger.error({ err: error }, 'webhook recovery sweep failed')
      failures.push(error)
    })
    await sweepUndeliveredMessages().catch((error) => {
      this.logger.error({ err: error }, 'undelivered message sweep failed')
      failures.push(error)
    })
    await pruneProcessedWebhookEvents().catch((error) => {
      this.logger.error({ err: error }, 'pruning processed webhook events failed')
      failures.push(error)
    })
    if (failures.length) throw failures[0]
  }
}

/** One schedule for the cluster, run by whichever inbound worker is free. */
export const INBOUND_RECOVERY: Schedule = {
  id: 'inbound-recovery',
  queue: INBOUND_QUEUE,
  job: InboundRecoveryJob,
  everyMs: SWEEP_INTERVAL_MS,
}

/**
 * When a pool starts working the inbound queue: keep the schedule, and sweep
 * at once (events stored while no worker ran are not left for a period): a
 * new schedule runs at once, an existing one has its next period moved to now.
 */
export async function startInboundRecovery() {
  await upsertSchedule(INBOUND_RECOVERY)
  await runScheduleNow(INBOUND_RECOVERY)
}
