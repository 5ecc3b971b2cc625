import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import logger from '@adonisjs/core/services/logger'
import queue from '@rlanz/bull-queue/services/main'
import { contextFor } from '#modules/tenancy/index'
import {
  EVENTS_PER_JOB,
  INBOUND_QUEUE,
  enqueueInboundDelivery,
  enqueueWebhookEvents,
  newWebhookJobId,
} from './inbound_queue.js'

/*
| The webhook request stores first and enqueues second. If the enqueue never
| happens (Redis down, the process killed between the two) the stored row is
| still the truth; this sweep finds rows nobody processed and queues them.
| It runs on inbound workers, once when they start and then every minute,
| as one BullMQ job scheduler for the whole cluster
| (jobs/inbound_recovery_job.ts), not once per worker process. Each row
| names its job (webhook_events.job_id): a row whose job is waiting or
| running is left alone, one whose job failed for good has it retried, and
| one whose job is gone (or completed without it) gets a new job. Several
| sweeps at once (a slow one overlapping the next period's) queue each row once: a
| new job's id is written over the old one first, and only the sweep whose
| update still found the old id queues it.
|
| The same goes one step later: a processing run commits its messages, then
| queues their hand-off. A run killed between the two leaves inbound
| messages stored but never handed on (and a web chat message can be left
| so too); sweepUndeliveredMessages queues their conversations' hand-off.
*/

export const SWEEP_INTERVAL_MS = 60_000
/** Older than this, an unprocessed event is assumed lost on its way to the queue. */
export const SWEEP_GRACE_MS = 30_000
/** An event that failed this many attempts is left to an operator (last_error says why). */
export const SWEEP_MAX_ATTEMPTS = 50

const PENDING_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']

interface StaleEvent {
  id: string
  job_id: string | null
  slug: string
}

/**
 * Queues stored webhook events that are not processed after `olderThanMs`.
 * An event whose job failed for good is retried; one waiting or running is
 * left alone. Returns how many events were (re)queued.
 */
export async function sweepUnprocessedWebhookEvents(
  options: { olderThanMs?: number; limit?: number } = {}
): Promise<number> {
  const olderThanMs = options.olderThanMs ?? SWEEP_GRACE_MS
  const result = await db.rawQuery(
    `select we.id::text as id, we.job_id, t.slug
      from webhook_events we join tenants t on t.id = we.tenant_id
      where we.processed_at is null
        and we.received_at < now() - (? * interval '1 millisecond')
        and we.attempts < ?
        and t.status in ('active', 'suspended')
      order by we.id
      limit ?`,
    [olderThanMs, SWEEP_MAX_ATTEMPTS, options.limit ?? 1_000]
  )
  const byJob = new Map<string, StaleEvent[]>()
  for (const row of result.rows as StaleEvent[]) {
    const key = `${row.slug}\u0000${row.job_id ?? ''}`
    const group = byJob.get(key)
    if (group) group.push(row)
    else byJob.set(key, [row])
  }

  const bullQueue = queue.getOrSet(INBOUND_QUEUE)
  let queued = 0
  for (const events of byJob.values()) {
    const { job_id: jobId, slug } = events[0]
    const job = jobId ? await bullQueue.getJob(jobId) : undefined
    const state = job ? await job.getState() : 'missing'
    if (PENDING_STATES.includes(state)) continue
    if (state === 'failed') {
      await job!.retry('failed')
      queued += events.length
      continue
    }
    // Gone, or completed leaving these unprocessed (their tenant was
    // briefly unusable, say): a new job, claimed on the rows first.
    for (let start = 0; start < events.length; start += EVENTS_PER_JOB) {
      const chunk = events.slice(start, start + EVENTS_PER_JOB)
      const newJobId = newWebhookJobId()
      const claimed = await db.rawQuery(
        `update webhook_events set job_id = ?
          where id = any(?::bigint[]) and job_id is not distinct from ? and processed_at is null
          returning id::text as id`,
        [newJobId, chunk.map((event) => event.id), jobId]
      )
      const eventIds = (claimed.rows as Array<{ id: string }>).map((row) => row.id)
      if (!eventIds.length) continue
      await enqueueWebhookEvents([{ tenant: slug, eventIds, jobId: newJobId }])
      queued += eventIds.length
    }
  }
  if (queued) logger.warn(`recovery sweep queued ${queued} stored webhook event(s)`)
  return queued
}

/** Workspaces whose messages one sweep statement reads. */
const UNDELIVERED_TENANTS_PER_STATEMENT = 50

/**
 * Queues the hand-off of conversations whose inbound messages were stored
 * more than `olderThanMs` ago and never handed on. Each workspace's read is
 * the small partial index messages_unprocessed; workspaces are read fifty
 * to a statement. A conversation still waiting for an earlier webhook (see
 * inbound_ordering) is only looked at again, never handed on early.
 * Returns how many conversations were queued.
 */
export async function sweepUndeliveredMessages(
  options: { olderThanMs?: number } = {}
): Promise<number> {
  const olderThanMs = options.olderThanMs ?? SWEEP_GRACE_MS
  const tenants = await db.rawQuery(
    `select id, slug, schema_name from tenants where status in ('active', 'suspended') order by slug`
  )
  const all = (tenants.rows as Array<{ id: string; slug: string; schema_name: string }>).map(
    (row) => contextFor({ id: row.id, slug: row.slug, schemaName: row.schema_name })
  )
  let queued = 0
  for (let start = 0; start < all.length; start += UNDELIVERED_TENANTS_PER_STATEMENT) {
    const chunk = all.slice(start, start + UNDELIVERED_TENANTS_PER_STATEMENT)
    const reads = chunk.map(
      (tenant) =>
        `(select ?::text as slug, conversation_id from ${tenant.table('messages')}
          where processed_at is null and direction = 'inbound'
            and created_at < now() - (? * interval '1 millisecond')
          group by conversation_id limit 1000)`
    )
    const found = await db.rawQuery(
      reads.join(' union all '),
      chunk.flatMap((tenant) => [tenant.slug, olderThanMs])
    )
    const waiting = new Map<string, number>()
    for (const row of found.rows as Array<{ slug: string }>) {
      waiting.set(row.slug, (waiting.get(row.slug) ?? 0) + 1)
    }
    for (const tenant of chunk) {
      const conversations = waiting.get(tenant.slug)
      if (!conversations) continue
      await enqueueInboundDelivery(tenant, 0)
      queued += conversations
    }
  }
  if (queued) logger.warn(`recovery sweep queued the hand-off of ${queued} conversation(s)`)
  return queued
}

/** Rows examined per prune statement (a range of ids, so each is one short index scan). */
const PRUNE_CHUNK = 5_000
/** Chunks per prune run: a long-idle table catches up over a few minutes, never in one stall. */
const PRUNE_MAX_CHUNKS = 20

/**
 * Deletes processed webhook events received more than WEBHOOK_EVENTS_KEEP_DAYS
 * ago (default 7): they are the raw record of what Meta sent, kept a while
 * for support, then only their messages matter. Unprocessed events are kept
 * whatever their age: an operator reads why they failed. Ids grow with
 * arrival, so the oldest rows are the lowest ids: walks id ranges from the
 * lowest and stops at the first range that reaches past the cutoff.
 * Returns how many were deleted.
 */
export async function pruneProcessedWebhookEvents(
  options: { olderThanMs?: number } = {}
): Promise<number> {
  const olderThanMs =
    options.olderThanMs ?? env.get('WEBHOOK_EVENTS_KEEP_DAYS', 7) * 24 * 3600 * 1000
  const cutoff = new Date(Date.now() - olderThanMs)
  const first = await db.rawQuery(`select min(id)::text as id from webhook_events`)
  let from = first.rows[0]?.id as string | null
  let removed = 0
  for (let chunk = 0; from !== null && chunk < PRUNE_MAX_CHUNKS; chunk++) {
    const edge = await db.rawQuery(
      `select id::text as id, received_at from webhook_events
        where id >= ? order by id offset ? limit 1`,
      [from, PRUNE_CHUNK]
    )
    const next = edge.rows[0] as { id: string; received_at: Date } | undefined
    const range = next ? `id >= ? and id < ?` : `id >= ?`
    const deleted = await db.rawQuery(
      `with deleted as (
          delete from webhook_events
          where ${range} and processed_at is not null and received_at < ?
          returning 1
        )
        select count(*)::int as n from deleted`,
      [...(next ? [from, next.id] : [from]), cutoff]
    )
    removed += deleted.rows[0].n as number
    // The next range starts past the cutoff: nothing older is left beyond it.
    if (!next || new Date(next.received_at) >= cutoff) break
    from = next.id
  }
  return removed
}
