import { randomUUID } from 'node:crypto'
import app from '@adonisjs/core/services/app'
import queue from '@rlanz/bull-queue/services/main'
import ProcessWebhookEventsJob from '../jobs/process_webhook_events_job.js'
import DeliverConversationJob from '../jobs/deliver_conversation_job.js'
import { DELIVERY_LEASE_MS } from './inbound_ordering.js'

/**
 * Inbound work has its own queue so a burst of webhooks never waits behind
 * mail or exports, and a deployment can give it its own worker processes
 * (`node ace queue:work --queue inbound`).
 */
export const INBOUND_QUEUE = 'inbound'

/**
 * How long a delivery job waits before handing conversations' messages on.
 * WhatsApp does not promise to deliver webhooks in order; messages of one
 * conversation that arrive within this window are handed downstream sorted
 * by WhatsApp's timestamp. A message that arrives later than that, stamped
 * earlier than one already handed on, follows it (the alternative is holding
 * every conversation back indefinitely).
 */
export const ORDER_WINDOW_MS = 1_000

/** The enqueue must not hold the webhook's answer hostage to a slow Redis. */
const ENQUEUE_TIMEOUT_MS = 2_000

/** Events per processing job: a burst stored in one commit becomes a few jobs, not one. */
export const EVENTS_PER_JOB = 50

/** The processing of stored webhook events of one tenant, under a job id kept in their rows. */
export interface WebhookEventsJob {
  tenant: string
  eventIds: string[]
  jobId: string
}

/**
 * A job id for processing stored webhook events. Random, never derived from
 * the events: a database restored or recreated behind the same Redis numbers
 * its events again, and BullMQ would take a new job for an old, completed
 * one of the same id and silently never run it. The id is written to the
 * events' rows (webhook_events.job_id), where the recovery sweep reads it.
 */
export function newWebhookJobId() {
  return `wh-${randomUUID()}`
}

/**
 * Queues stored webhook events' processing: one Redis round trip for all
 * the jobs. Rejects after ENQUEUE_TIMEOUT_MS; the events stay stored, and
 * the recovery sweep queues what did not make it.
 */
export async function enqueueWebhookEvents(jobs: WebhookEventsJob[]) {
  if (!jobs.length) return
  const defaults = app.config.get<Record<string, unknown>>('queue.jobs', {})
  const add = queue.getOrSet(INBOUND_QUEUE).addBulk(
    jobs.map((job) => ({
      name: ProcessWebhookEventsJob.$$filepath,
      data: { tenant: job.tenant, eventIds: job.eventIds },
      opts: { ...defaults, jobId: job.jobId },
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
 * Queues the hand-off of conversations' new inbound messages: one job for
 * all of them, after the order window. Which run hands a conversation on is
 * settled by a lease per conversation (see deliverConversations), not by
 * the queue, so a job per batch is enough and none waits behind another.
 * `retry`: these were leased by another run; look again once a dead run's
 * lease would have run out.
 */
export async function enqueueConversationDeliveries(
  tenant: string,
  conversationIds: string[],
  options: { retry?: boolean } = {}
) {
  if (!conversationIds.length) return
  const defaults = app.config.get<Record<string, unknown>>('queue.jobs', {})
  await queue.getOrSet(INBOUND_QUEUE).add(
    DeliverConversationJob.$$filepath,
    { tenant, conversationIds },
    {
      ...defaults,
      delay: options.retry ? DELIVERY_LEASE_MS : ORDER_WINDOW_MS,
      removeOnComplete: true,
    }
  )
}

/** One conversation's hand-off (see enqueueConversationDeliveries). */
export function enqueueConversationDelivery(tenant: string, conversationId: string) {
  return enqueueConversationDeliveries(tenant, [conversationId])
}
