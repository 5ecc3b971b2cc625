import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import db from '@adonisjs/lucid/services/db'
import { processPendingEvents, type EventClaim } from '../services/inbound_processing.js'
import {
  DRAIN_BATCH,
  enqueueInboundDelivery,
  enqueueWebhookEvents,
  newWebhookJobId,
} from '../services/inbound_queue.js'

interface Payload extends TenantJobPayload {
  /** Named events (the recovery sweep's jobs, retries); none: drain the workspace. */
  eventIds?: string[]
}

/** Rounds of DRAIN_BATCH a drain makes before leaving the rest to the next window's. */
const MAX_DRAIN_ROUNDS = 20

/** A failed event's own retry waits this long first; BullMQ's backoff takes over from there. */
const RETRY_DELAY_MS = 2_000

/**
 * Processes stored WhatsApp webhooks (webhook_events rows) of one tenant:
 * a drain takes every unprocessed one no other run holds, DRAIN_BATCH per
 * transaction, until a round finds fewer; a job naming events takes those.
 * Each round stores the messages, applies the statuses and marks its events
 * in one transaction, then queues the ordered hand-off of every
 * conversation it touched. Safe to run twice or at once with itself.
 *
 * An event that fails does not hold the others back (see
 * processPendingEvents). A drain gives it a job of its own, named on its
 * row, which BullMQ retries with backoff and the recovery sweep retries
 * after that; a job naming events fails, so BullMQ retries it.
 */
export default class ProcessWebhookEventsJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, payload: Payload) {
    await processEvents(tenant, payload.eventIds ? { eventIds: payload.eventIds } : { drain: true })
  }
}

/** Rounds of DRAIN_BATCH for a drain, one round for named events. */
async function processEvents(tenant: TenantContext, claim: EventClaim) {
  for (let round = 1; round <= MAX_DRAIN_ROUNDS; round++) {
    const outcome = await processPendingEvents(tenant, claim, DRAIN_BATCH)
    // After the commit: a crash between the two leaves messages stored
    // but not handed on, which the recovery sweep finds (sweepUndelivered).
    if (outcome.conversationIds.length) await enqueueInboundDelivery(tenant)
    if (outcome.failures.length) {
      if ('eventIds' in claim) throw failedEvents(outcome.failures, outcome.claimed.length)
      await retrySeparately(
        tenant,
        outcome.failures.map((failure) => failure.eventId)
      )
    }
    if ('eventIds' in claim || outcome.claimed.length < DRAIN_BATCH) break
  }
}

/** A drain's failed events each get a retry job, named on their rows for the sweep. */
async function retrySeparately(tenant: TenantContext, eventIds: string[]) {
  const jobId = newWebhookJobId()
  await db.rawQuery(`update webhook_events set job_id = ? where id = any(?::bigint[])`, [
    jobId,
    eventIds,
  ])
  await enqueueWebhookEvents([{ tenant: tenant.slug, eventIds, jobId, delay: RETRY_DELAY_MS }])
}

function failedEvents(failures: Array<{ eventId: string; error: unknown }>, of: number) {
  const [first] = failures
  const reason = first.error instanceof Error ? first.error.message : String(first.error)
  return new Error(
    `${failures.length} of ${of} webhook event(s) failed (event ${first.eventId}: ${reason})`,
    { cause: first.error }
  )
}
