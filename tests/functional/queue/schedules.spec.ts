import { test } from '@japa/runner'
import { setTimeout as sleep } from 'node:timers/promises'
import app from '@adonisjs/core/services/app'
import queue from '@rlanz/bull-queue/services/main'
import { WorkerPool } from '#app/queue/worker_pool'
import SyncAllTemplatesJob, {
  TEMPLATE_SYNC,
  scheduleTemplateSync,
} from '#modules/channels/jobs/sync_all_templates_job'
import InboundRecoveryJob, {
  INBOUND_RECOVERY,
  startInboundRecovery,
} from '#modules/channels/jobs/inbound_recovery_job'
import {
  WEBHOOK_RECOVERY,
  startWebhookRecovery,
} from '#modules/integrations/jobs/webhook_recovery_job'

/*
| The recovery sweeps are BullMQ job schedulers: one per cluster, however
| many worker processes start. Each pool here stands for a worker process.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

/** Sets a schedule's period for one test, starting from no schedule, and removes it after. */
async function withPeriod(cleanup: Cleanup, id: string, queueName: string, everyMs: number) {
  const bullQueue = queue.getOrSet(queueName)
  await bullQueue.removeJobScheduler(id)
  const periods = app.config.get<Record<string, number>>('queue.scheduleEveryMs')
  periods[id] = everyMs
  cleanup(async () => {
    delete periods[id]
    // The next pool to start makes it again, with its module's period.
    await bullQueue.removeJobScheduler(id)
  })
  return bullQueue
}

async function startPool(cleanup: Cleanup, queues: string[]) {
  const pool = new WorkerPool(app, await app.container.make('logger'))
  pool.start(queues)
  cleanup(() => pool.stop())
  return pool
}

test.group('Job schedules', () => {
  test('two worker pools on the inbound queue keep one recovery schedule, which sweeps once per period, not once per pool', async ({
    assert,
    cleanup,
  }) => {
    const everyMs = 1_500
    const bullQueue = await withPeriod(
      cleanup,
      INBOUND_RECOVERY.id,
      INBOUND_RECOVERY.queue,
      everyMs
    )
    const startedAt = Date.now()
    await startPool(cleanup, [INBOUND_RECOVERY.queue])
    await startPool(cleanup, [INBOUND_RECOVERY.queue])
    // Each pool upserts the schedule from its queue:started listener.
    await startInboundRecovery()

    const windowMs = 6_000
    await sleep(windowMs)
    const schedulers = await bullQueue.getJobSchedulers()
    assert.deepEqual(
      schedulers.map((scheduler) => [scheduler.key, scheduler.every]),
      [[INBOUND_RECOVERY.id, everyMs]]
    )
    const runs = (await bullQueue.getJobs(['completed', 'failed', 'active']))
      .filter((job) => job.name === InboundRecoveryJob.$$filepath && job.timestamp >= startedAt)
      .map((job) => job.id!)
    // One run at start, then one a period: at most five in six seconds (fewer
    // on a busy machine). A timer in each pool would have swept twice as often.
    assert.isAtLeast(runs.length, 2, JSON.stringify(runs))
    assert.isAtMost(runs.length, Math.floor(windowMs / everyMs) + 1, JSON.stringify(runs))
    // Each run is its own period's (BullMQ names them repeat:<id>:<time>): never two of one.
    const periods = runs.map((id) => Number(id.split(':').pop())).sort((a, b) => a - b)
    for (let index = 1; index < periods.length; index++) {
      assert.isAtLeast(periods[index] - periods[index - 1], everyMs, JSON.stringify(runs))
    }
  }).timeout(30_000)

  test('starting a pool when the schedule exists sweeps at once, without adding a period', async ({
    assert,
    cleanup,
  }) => {
    // A long period: without the start-up run, nothing would sweep during the test.
    const bullQueue = await withPeriod(
      cleanup,
      INBOUND_RECOVERY.id,
      INBOUND_RECOVERY.queue,
      600_000
    )
    const startedAt = Date.now()
    await startPool(cleanup, [INBOUND_RECOVERY.queue])
    const completed = async () =>
      (await bullQueue.getJobs(['completed'])).filter(
        (job) =>
          job.name === InboundRecoveryJob.$$filepath &&
          job.repeatJobKey === INBOUND_RECOVERY.id &&
          job.timestamp >= startedAt
      )
    const until = async (count: number) => {
      const deadline = Date.now() + 10_000
      while ((await completed()).length < count && Date.now() < deadline) await sleep(100)
    }
    // The new schedule's first run.
    await until(1)
    const before = await completed()
    assert.lengthOf(before, 1)

    // Two more processes start together: one more sweep, not two.
    await startPool(cleanup, [INBOUND_RECOVERY.queue])
    await startPool(cleanup, [INBOUND_RECOVERY.queue])
    await until(before.length + 1)
    await sleep(1_000)
    assert.lengthOf(await completed(), before.length + 1)
    assert.lengthOf(await bullQueue.getJobSchedulers(), 1)
  }).timeout(30_000)

  test('the webhook recovery started by two processes is one schedule on the webhooks queue', async ({
    assert,
    cleanup,
  }) => {
    const bullQueue = await withPeriod(
      cleanup,
      WEBHOOK_RECOVERY.id,
      WEBHOOK_RECOVERY.queue,
      300_000
    )
    await Promise.all([startWebhookRecovery(), startWebhookRecovery()])
    const schedulers = await bullQueue.getJobSchedulers()
    assert.deepEqual(
      schedulers.map((scheduler) => [scheduler.key, scheduler.every]),
      [[WEBHOOK_RECOVERY.id, 300_000]]
    )
  })

  test('the template sync is one schedule, and replaces the repeatable job earlier versions kept', async ({
    assert,
    cleanup,
  }) => {
    const bullQueue = await withPeriod(cleanup, TEMPLATE_SYNC.id, TEMPLATE_SYNC.queue, 3_600_000)
    // No worker works `default` here: the runs queued are removed, never run.
    cleanup(async () => {
      await bullQueue.removeJobScheduler(TEMPLATE_SYNC.id)
      for (const job of await bullQueue.getJobs(['wait', 'delayed', 'paused'])) {
        if (job.name === SyncAllTemplatesJob.$$filepath) await job.remove()
      }
    })
    // As earlier versions registered it.
    await bullQueue.add(
      SyncAllTemplatesJob.$$filepath,
      {},
      { repeat: { every: 3_600_000 }, jobId: 'templates-schedule' }
    )
    await Promise.all([scheduleTemplateSync(), scheduleTemplateSync()])
    const schedulers = await bullQueue.getJobSchedulers()
    assert.deepEqual(
      schedulers.map((scheduler) => [scheduler.key, scheduler.every]),
      [[TEMPLATE_SYNC.id, 3_600_000]]
    )
  })
})
