import { randomUUID } from 'node:crypto'
import app from '@adonisjs/core/services/app'
import queue from '@rlanz/bull-queue/services/main'
import ProcessWebhookEventsJob from '../jobs/process_webhook_events_job.js'
import DeliverConversationJob from '../jobs/deliver_conversation_job.js'
import { ORDER_WINDOW_MS } from './inbound_ordering.js'
import { INBOUND_QUEUE } from './queue_names.js'

export { ORDER_WINDOW_MS }

export { INBOUND_QUEUE }

/** The enqueue must not hold the webhook's answer hostage to a slow Redis. */
const ENQUEUE_TIMEOUT_MS = 2_000

/*
| Processing is a drain: a job takes every stored, unprocessed webhook of its
| workspace (DRAIN_BATCH at a time, oldest first), not a list it was given.
| Intake asks for one drain per workspace per DRAIN_WINDOW_MS: the job's id
| names the workspace and the window, so every commit of the window asks
| for the same job and BullMQ keeps one; it runs once the window has
| closed, after every commit that asked for it, and so finds their rows.
| A quiet workspace's message waits at most one window; a busy one's drains
| grow with the load (at 1,000 webhooks a second, ~100 a job instead of 2),
| so the fixed cost of a job (its queue round trips, a transaction, a
| dozen statements) is paid per hundred messages, not per message.
*/

/** How long a drain waits for more webhooks of its workspace to join it. */
export const DRAIN_WINDOW_MS = 100

/**
 * The drain starts this long after its window closes: the adding process
 * and the worker read different clocks, and a worker whose clock runs ahead
 * must still start after the window's last commit (a late one is caught by
 * the next window's drain or the recovery sweep, never lost).
 */
const DRAIN_MARGIN_MS = 25

/** Events a drain claims per transaction. */
export const DRAIN_BATCH = 500

/** Events per job when the recovery sweep requeues named events. */
export const EVENTS_PER_JOB = 200

/**
 * The processing of stored webhook events of one tenant: a drain (no
 * `eventIds`) or named events (the recovery sweep's and retries' jobs),
 * under a job id kept in their rows.
 */
export interface WebhookEventsJob {
  tenant: string
  eventIds?: string[]
  jobId: string
  /** Drains start once their window has closed. */
  delay?: number
}

/**
 * A job id for processing named stored webhook events. Random, never
 * derived from the events: a database restored or recreated behind the
 * same Redis numbers its events again, and BullMQ would take a new job for
 * an old, completed one of the same id and silently never run it. The id is
 * written to the events' rows (webhook_events.job_id), where the recovery
 * sweep reads it.
 */
export function newWebhookJobId() {
  return `wh-${randomUUID()}`
}

/**
 * The drain of `tenantId`'s webhooks for the window holding `at`: its job id
 * (the same for every commit of the window; time never repeats, so neither
 * does the id) and how long it waits for the window to close.
 */
export function webhookDrainJob(tenant: { id: string; slug: string }, at = Date.now()) {
  return { tenant: tenant.slug, ...windowJob('wh-drain', tenant.id, at) } satisfies WebhookEventsJob
}

/**
 * The job of `kind` for a workspace and the DRAIN_WINDOW_MS window holding
 * `at`: its id, and its delay from now to just after the window closes.
 */
function windowJob(kind: string, tenantId: string, at: number) {
  const window = Math.floor(at / DRAIN_WINDOW_MS)
  return {
    jobId: `${kind}-${tenantId}-${window}`,
    delay: Math.max(0, (window + 1) * DRAIN_WINDOW_MS - Date.now()) + DRAIN_MARGIN_MS,
  }
}

/**
 * Queues stored webhook events' processing: one Redis round trip for all
 * the jobs. A drain already queued under the same id stays as it is.
 * Rejects after ENQUEUE_TIMEOUT_MS; the events stay stored, and the
 * recovery sweep queues what did not make it.
 */
export async function enqueueWebhookEvents(jobs: WebhookEventsJob[]) {
  if (!jobs.length) return
  const defaults = app.config.get<Record<string, unknown>>('queue.jobs', {})
  const add = queue.getOrSet(INBOUND_QUEUE).addBulk(
    jobs.map((job) => ({
      name: ProcessWebhookEventsJob.$$filepath,
      data: job.eventIds ? { tenant: job.tenant, eventIds: job.eventIds } : { tenant: job.tenant },
      opts: {
        ...defaults,
        jobId: job.jobId,
        ...(job.delay ? { delay: job.delay } : {}),
        // A drain's id is asked for again only within its window, before it
        // runs; keeping finished ones would fill Redis at ten a second.
        ...(job.eventIds ? {} : { removeOnComplete: true }),
      },
    }))
  )
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`enqueue timed out after ${ENQUEUE_TIMEOUT_MS} ms`)),
      ENQUEUE_TIMEOUT_MS
    )
  })
  try {
    await Promise.race([add, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Queues the hand-off of a workspace's waiting inbound messages in `delayMs`
 * (by default the order window: what was just stored waits for late
 * webhooks). One run per workspace per DRAIN_WINDOW_MS, like drains: every
 * caller of the same window asks for the same job. Which run hands messages
 * on is settled by the workspace's lease (see deliverWaitingMessages).
 */
export async function enqueueInboundDelivery(
  tenant: { id: string; slug: string },
  delayMs: number = ORDER_WINDOW_MS
) {
  const defaults = app.config.get<Record<string, unknown>>('queue.jobs', {})
  await queue
    .getOrSet(INBOUND_QUEUE)
    .add(
      DeliverConversationJob.$$filepath,
      { tenant: tenant.slug },
      { ...defaults, ...windowJob('dl', tenant.id, Date.now() + delayMs), removeOnComplete: true }
    )
}

/** How soon a hand-off that found another run handing on the workspace's messages looks again. */
export const BUSY_RETRY_MS = 250
