import env from '#start/env'
import { defineConfig } from '@rlanz/bull-queue'
import type { WorkerOptions } from 'bullmq'
import { redisConnectionFromUrl } from '#app/queue/redis_connection'
import { embeddedDataDirFrom, queuePrefixFor } from '#app/queue/queue_prefix'

export const redisUrl = env.get('REDIS_URL', 'redis://127.0.0.1:6379')

/**
 * Tests use their own key prefix so a suite never consumes a developer's jobs.
 * Read from NODE_ENV rather than `app.inTest`: ace imports command modules
 * (and through them this file) before the application knows its environment.
 */
const inTest = env.get('NODE_ENV') === 'test'

/**
 * `<QUEUE_PREFIX>:<database id>` (see app/queue/queue_prefix.ts): apps on
 * different databases sharing one Redis never take each other's jobs.
 * config/redis.ts prefixes its keys the same way.
 */
export const queuePrefix = queuePrefixFor(
  env.get('QUEUE_PREFIX', inTest ? 'flomastr-test' : 'flomastr'),
  {
    databaseUrl: env.get('DATABASE_URL'),
    embeddedDataDir: embeddedDataDirFrom({
      EMBEDDED_DB_DIR: env.get('EMBEDDED_DB_DIR'),
      NODE_ENV: env.get('NODE_ENV'),
    }),
  }
)
const prefix = queuePrefix

const queueConfig = defineConfig({
  defaultConnection: redisConnectionFromUrl(redisUrl),
  // inbound: WhatsApp webhooks and the ordered hand-off of their messages.
  // webhooks: outbound deliveries, apart so slow receivers never hold up sends.
  queueNames: ['default', 'mail', 'inbound', 'webhooks'],
  queue: { prefix },
  worker: {
    prefix,
    concurrency: env.get('QUEUE_CONCURRENCY', 8),
    // A job whose worker died is picked up again after this long.
    stalledInterval: inTest ? 2_000 : 30_000,
    maxStalledCount: 3,
  },
  jobs: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: { count: 1_000, age: 24 * 3600 },
    // Failed jobs are kept for a week so nothing disappears unseen.
    removeOnFail: { age: 7 * 24 * 3600 },
  },
})

/**
 * Per-queue worker settings over `worker`. Inbound work is short and safe to
 * run twice, so a worker that dies holding inbound jobs gives them up after
 * 10 s, not 30: its lock lapses sooner and the stalled check looks sooner.
 * (Longer jobs elsewhere, a large PDF being read, keep the 30 s lock: a busy
 * event loop must not make them look dead.)
 */
const queueWorkers: Record<string, Partial<WorkerOptions>> = {
  inbound: { lockDuration: 10_000, stalledInterval: inTest ? 2_000 : 10_000 },
}

/**
 * Periods of job schedulers (app/queue/schedules.ts) other than their
 * modules' defaults, by scheduler id: `{ 'inbound-recovery': 30_000 }`.
 * Empty: every schedule keeps its module's period.
 */
const scheduleEveryMs: Record<string, number> = {}

export default { ...queueConfig, queueWorkers, scheduleEveryMs }
