import { Job } from '@rlanz/bull-queue'
import queue from '@rlanz/bull-queue/services/main'
import { upsertSchedule, type Schedule } from '#app/queue/schedules'
import { dispatchTenantJob } from '#modules/tenancy/index'
import Channel from '../models/channel.js'
import SyncTemplatesJob from './sync_templates_job.js'

/** How often every WhatsApp number's templates are synced on their own. */
export const TEMPLATE_SYNC_EVERY_MS = 6 * 3600 * 1000

/**
 * The schedule: one sync job per active WhatsApp number of every active
 * tenant. Each is keyed by number and period, so a schedule that fires twice
 * in a period queues nothing new.
 */
export default class SyncAllTemplatesJob extends Job {
  static get $$filepath() {
    return import.meta.url
  }

  async rescue(_payload: unknown, error: Error) {
    this.logger.error({ err: error }, 'the template sync schedule could not run')
  }

  async handle() {
    const channels = await Channel.query()
      .join('tenants', 'tenants.id', 'channels.tenant_id')
      .where('channels.type', 'whatsapp')
      .where('channels.status', 'active')
      .where('tenants.status', 'active')
      .select('channels.*', 'tenants.slug as tenant_slug')
    const period = Math.floor(Date.now() / TEMPLATE_SYNC_EVERY_MS)
    for (const channel of channels) {
      await dispatchTenantJob(
        SyncTemplatesJob,
        { slug: channel.$extras.tenant_slug },
        { channelId: channel.id },
        { jobId: `templates-${channel.id}-${period}` }
      )
    }
  }
}

/** One schedule for the cluster, run by whichever default-queue worker is free. */
export const TEMPLATE_SYNC: Schedule = {
  id: 'template-sync',
  queue: 'default',
  job: SyncAllTemplatesJob,
  everyMs: TEMPLATE_SYNC_EVERY_MS,
}

/** Registers the schedule; BullMQ keeps one schedule however often this runs. */
export async function scheduleTemplateSync() {
  await upsertSchedule(TEMPLATE_SYNC)
  // Earlier versions kept it as a legacy repeatable job (under a hashed
  // key, with the same job name): removed, so it is not kept twice.
  const bullQueue = queue.getOrSet(TEMPLATE_SYNC.queue)
  for (const scheduler of await bullQueue.getJobSchedulers()) {
    if (scheduler.name === SyncAllTemplatesJob.$$filepath && scheduler.key !== TEMPLATE_SYNC.id) {
      await bullQueue.removeJobScheduler(scheduler.key)
    }
  }
}
