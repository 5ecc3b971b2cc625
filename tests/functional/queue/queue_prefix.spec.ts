import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import app from '@adonisjs/core/services/app'
import queue from '@rlanz/bull-queue/services/main'
import { Worker } from 'bullmq'
import type queueConfig from '#config/queue'
import env from '#start/env'
import { embeddedDataDirFrom, queuePrefixFor } from '#app/queue/queue_prefix'

/*
| Two apps sharing one Redis: a job this app queues is taken only by workers
| of an app on the same database. A worker is what another process would
| run: BullMQ's Worker under the prefix that process computes from its own
| DATABASE_URL or embedded directory.
*/

const PROBE_QUEUE = 'prefix-probe'

/** The prefix a process with this environment would use, given QUEUE_PREFIX. */
function prefixOf(location: { DATABASE_URL?: string; EMBEDDED_DB_DIR?: string }) {
  return queuePrefixFor(env.get('QUEUE_PREFIX', 'flomastr-test'), {
    databaseUrl: location.DATABASE_URL,
    embeddedDataDir: embeddedDataDirFrom({ ...location, NODE_ENV: 'test' }),
  })
}

/** A worker on the probe queue recording the ids of the jobs it takes. */
function probeWorker(prefix: string, cleanup: (fn: () => Promise<void>) => void) {
  const config = app.config.get<typeof queueConfig>('queue')
  const taken: string[] = []
  const worker = new Worker(PROBE_QUEUE, async (job) => void taken.push(job.id!), {
    connection: config.defaultConnection,
    prefix,
  })
  cleanup(() => worker.close())
  return taken
}

test.group('Queue prefix', () => {
  test('the app names its queues after QUEUE_PREFIX and its database', ({ assert }) => {
    const config = app.config.get<typeof queueConfig>('queue')
    const here = prefixOf({
      DATABASE_URL: env.get('DATABASE_URL'),
      EMBEDDED_DB_DIR: env.get('EMBEDDED_DB_DIR'),
    })
    assert.equal(config.queue.prefix, here)
    assert.equal(config.worker.prefix, here)
    assert.equal(app.config.get('redis.connections.main.keyPrefix'), `${here}:`)
  })

  test('a job queued by this app is taken by a worker on the same database, never by one on another', async ({
    assert,
    cleanup,
  }) => {
    const config = app.config.get<typeof queueConfig>('queue')
    const otherDatabase = env.get('DATABASE_URL')
      ? { DATABASE_URL: `${env.get('DATABASE_URL')}_other_checkout` }
      : { EMBEDDED_DB_DIR: 'tmp/db-other-checkout' }
    const otherPrefix = prefixOf(otherDatabase)
    assert.notEqual(otherPrefix, config.queue.prefix)
    const takenByOther = probeWorker(otherPrefix, cleanup)

    const probe = queue.getOrSet(PROBE_QUEUE)
    const job = await probe.add('probe', {}, { jobId: `probe-${randomUUID()}` })
    cleanup(async () => {
      await job.remove().catch(() => {})
    })
    await sleep(1_500)
    assert.deepEqual(takenByOther, [])
    assert.equal(await job.getState(), 'waiting')

    const takenBySame = probeWorker(config.queue.prefix, cleanup)
    const deadline = Date.now() + 10_000
    while (!takenBySame.length && Date.now() < deadline) await sleep(100)
    assert.deepEqual(takenBySame, [job.id])
    assert.deepEqual(takenByOther, [])
  }).timeout(20_000)
})
