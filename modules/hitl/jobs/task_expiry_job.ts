import { Job } from '@rlanz/bull-queue'
import { upsertSchedule, type Schedule } from '#app/queue/schedules'
import { EXPIRY_INTERVAL_MS, sweepExpiredTasks } from '../services/expiry.js'

/** One period of the expiry sweep (services/expiry.ts). */
export default class TaskExpiryJob extends Job {
  static get $$filepath() {
    return import.meta.url
  }

  // Not retried: the next period sweeps again.
  async rescue() {}

  async handle() {
    await sweepExpiredTasks()
  }
}

/** One schedule for the cluster, run by whichever default-queue worker is free. */
export const TASK_EXPIRY: Schedule = {
  id: 'hitl-task-expiry',
  queue: 'default',
  job: TaskExpiryJob,
  everyMs: EXPIRY_INTERVAL_MS,
}

export async function startTaskExpiry() {
  await upsertSchedule(TASK_EXPIRY)
}
