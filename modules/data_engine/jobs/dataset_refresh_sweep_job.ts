import { Job } from '@rlanz/bull-queue'
import { upsertSchedule, type Schedule } from '#app/queue/schedules'
import { queueDueRefreshes } from '../services/dataset_sources.js'

/** Every few minutes: a refresh job for each dataset whose CSV address is due to be read again. */
export default class DatasetRefreshSweepJob extends Job {
  static get $$filepath() {
    return import.meta.url
  }

  async handle() {
    await queueDueRefreshes()
  }

  async rescue(_payload: unknown, error: Error) {
    this.logger.error({ err: error }, 'the dataset refresh sweep could not run')
  }
}

/** One schedule for the cluster, run by whichever default-queue worker is free. */
export const DATASET_REFRESH: Schedule = {
  id: 'dataset-refresh',
  queue: 'default',
  job: DatasetRefreshSweepJob,
  everyMs: 5 * 60 * 1000,
}

export async function scheduleDatasetRefresh() {
  await upsertSchedule(DATASET_REFRESH)
}
