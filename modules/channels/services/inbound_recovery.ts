import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import queue from '@rlanz/bull-queue/services/main'
import { INBOUND_QUEUE, enqueueWebhookEvent, webhookJobId } from './inbound_queue.js'

/*
| The webhook request stores first and enqueues second. If the enqueue never
| happens (Redis down, the process killed between the two) the stored row is
| still the truth; this sweep finds rows nobody processed and queues them.
| It runs wherever inbound workers run: once when they start, then every
| minute. Several worker processes sweeping at once is harmless: the job id
| is the event id, so a second dispatch of a queued event is a no-op.
*/

export const SWEEP_INTERVAL_MS = 60_000
/** Older than this, an unprocessed event is assumed lost on its way to the queue. */
export const SWEEP_GRACE_MS = 30_000
/** An event that failed this many attempts is left to an operator (last_error says why). */
export const SWEEP_MAX_ATTEMPTS = 50

/**
 * Queues stored webhook events that are not processed after `olderThanMs`.
 * An event whose job failed for good is retried; one waiting or running is
 * left alone. Returns how many were (re)queued.
 */
export async function sweepUnprocessedWebhookEvents(
  options: { olderThanMs?: number; limit?: number } = {}
): Promise<number> {
  const olderThanMs = options.olderThanMs ?? SWEEP_GRACE_MS
  const result = await db.rawQuery(
    `select we.id, we.received_at, t.slug from webhook_events we join tenants t on t.id = we.tenant_id
      where we.processed_at is null
        and we.received_at < now() - (? * interval '1 millisecond')
        and we.attempts < ?
        and t.status in ('active', 'suspended')
      order by we.received_at
      limit ?`,
    [olderThanMs, SWEEP_MAX_ATTEMPTS, options.limit ?? 1_000]
  )
  const bullQueue = queue.getOrSet(INBOUND_QUEUE)
  let queued = 0
  for (const row of result.rows as Array<{
    id: string | number
    received_at: Date
    slug: string
  }>) {
    const eventId = String(row.id)
    const job = await bullQueue.getJob(webhookJobId(eventId, row.received_at))
    const state = job ? await job.getState() : 'missing'
    if (state === 'failed') {
      await job!.retry('failed')
    } else if (state === 'completed' || state === 'missing' || state === 'unknown') {
      // A completed job that left its event unprocessed (its tenant was
      // briefly unusable, say) is replaced so the id is free again.
      if (job && state === 'completed') await job.remove()
      await enqueueWebhookEvent(row.slug, eventId, row.received_at)
    } else {
      continue
    }
    queued++
  }
  if (queued) logger.warn(`recovery sweep queued ${queued} stored webhook event(s)`)
  return queued
}

let timer: NodeJS.Timeout | null = null
let pools = 0
let inFlight: Promise<unknown> | null = null

function sweepNow() {
  if (inFlight) return
  inFlight = sweepUnprocessedWebhookEvents()
    .catch((error) => logger.error({ err: error }, 'webhook recovery sweep failed'))
    .finally(() => {
      inFlight = null
    })
}

/** Starts the sweep (now, then every minute) for a worker pool that works the inbound queue. */
export function startInboundRecovery() {
  pools++
  sweepNow()
  if (timer) return
  timer = setInterval(sweepNow, SWEEP_INTERVAL_MS)
  timer.unref()
}

/** Stops it when the last such pool stops, after the sweep in hand finishes. */
export async function stopInboundRecovery() {
  pools = Math.max(0, pools - 1)
  if (pools > 0 || !timer) return
  clearInterval(timer)
  timer = null
  await inFlight
}
