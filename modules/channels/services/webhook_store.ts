import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import { enqueueWebhookEvents, webhookDrainJob, type WebhookEventsJob } from './inbound_queue.js'

/*
| The durable half of webhook intake: a stored event is safe, whatever
| happens next. Requests that arrive together are written together: each
| commit waits for the disk (fsync), so one INSERT per webhook caps intake at
| pool size / commit latency (10 connections at 20-50 ms each: 200-500 a
| second), while one multi-row INSERT for all webhooks waiting at that moment
| costs the same single commit. A request waits for the batch it joined, and
| is answered only after its row is committed, exactly as before. Then each
| workspace of the commit asks for its drain of the moment (see
| inbound_queue.ts): one Redis round trip for the commit, none at all when
| this process already asked for the same drain.
*/

export interface WebhookEventRow {
  provider: 'whatsapp'
  channelId: string
  tenantId: string
  /** The tenant slug, for the processing job. */
  tenantSlug: string
  /** The body exactly as stored (JSON text). */
  payload: string
  /** wa_ids whose messages it carries (see inbound_ordering: ordering holds on them). */
  senders: string[]
  /** When its earliest message was sent; null when none says (see inbound_ordering). */
  earliestMessageAt: Date | null
  /**
   * The routing the request was verified against. When given, the row is
   * stored only if, at the insert, the channel still has this number and
   * this (encrypted) app secret and its workspace still takes messages;
   * otherwise it is not stored and resolves to null.
   */
  routedAs?: { phoneNumberId: string | null; appSecretEncrypted: string | null }
}

export interface StoredWebhookEvent {
  id: string
  receivedAt: Date
}

interface Waiting {
  row: WebhookEventRow
  resolve: (stored: StoredWebhookEvent | null) => void
  reject: (error: unknown) => void
}

/** Rows per INSERT; a burst larger than this is written as several. */
const MAX_BATCH = 250

let waiting: Waiting[] = []
let scheduled = false
let inFlight = 0
/**
 * One batch at a time: requests that arrive during a commit join the next
 * one, so batches (and the processing jobs made from them) grow with load.
 * bench:ingest at 1,000/s: four in flight made ~2 events a job; one cut
 * the worker's CPU per message 1.71 -> 1.40 ms and intake p99 stayed < 30 ms.
 * At MAX_BATCH rows a commit even a 50 ms disk keeps up with 5,000/s.
 */
const MAX_IN_FLIGHT = 1

/**
 * Stores webhook events durably and queues their processing. Resolves once
 * the rows are committed; the enqueue follows (a failed or slow one is
 * logged and left to the recovery sweep). Rejects if the insert fails.
 */
export function storeWebhookEvents(
  rows: WebhookEventRow[]
): Promise<Array<StoredWebhookEvent | null>> {
  return Promise.all(
    rows.map(
      (row) =>
        new Promise<StoredWebhookEvent | null>((resolve, reject) => {
          waiting.push({ row, resolve, reject })
          schedule()
        })
    )
  )
}

function schedule() {
  if (scheduled || inFlight >= MAX_IN_FLIGHT) return
  scheduled = true
  // Let every request already parsed in this turn of the event loop join.
  setImmediate(() => {
    scheduled = false
    while (waiting.length && inFlight < MAX_IN_FLIGHT) {
      const batch = waiting.slice(0, MAX_BATCH)
      waiting = waiting.slice(batch.length)
      inFlight++
      writeBatch(batch).finally(() => {
        inFlight--
        if (waiting.length) schedule()
      })
    }
  })
}

async function writeBatch(batch: Waiting[]) {
  const rows = batch.map((item) => item.row)
  const jobIds = assignJobs(rows)
  let stored: Array<StoredWebhookEvent | null>
  try {
    stored = await insertRows(rows, jobIds)
  } catch (error) {
    for (const item of batch) item.reject(error)
    return
  }
  // Committed is safe: the answer does not wait for Redis. The enqueue never
  // fails; a row that could not be queued (Redis down, the process killed
  // right now) is the recovery sweep's.
  batch.forEach((item, index) => item.resolve(stored[index]))
  const now = Date.now()
  const jobs = new Map<string, WebhookEventsJob>()
  rows.forEach((row, index) => {
    if (!stored[index] || jobs.has(row.tenantId)) return
    const job = webhookDrainJob({ id: row.tenantId, slug: row.tenantSlug }, now)
    if (drainsAsked.get(row.tenantId) !== job.jobId) jobs.set(row.tenantId, job)
  })
  if (jobs.size) void enqueue(jobs)
}

/**
 * The drain this process last queued per workspace: later commits of the
 * same window need not ask Redis again (the drain starts after the window,
 * so it finds their rows too).
 */
const drainsAsked = new Map<string, string>()

/**
 * Each row's job id as the recovery sweep will read it: the drain of the
 * window it is inserted in. (The drain actually asked for is the window's
 * after the commit, a later one if the commit crossed into it; either finds
 * the row, and the sweep only needs the name of a job that would.)
 */
function assignJobs(rows: WebhookEventRow[]) {
  const now = Date.now()
  return rows.map((row) => webhookDrainJob({ id: row.tenantId, slug: row.tenantSlug }, now).jobId)
}

/**
 * One statement for the whole batch: the ids come from the sequence inside
 * it, numbered by each row's place in the batch, so every request learns its
 * own row without relying on the order RETURNING happens to use. Rows with
 * `routedAs` are stored only while their routing still holds (null if not).
 */
async function insertRows(
  rows: WebhookEventRow[],
  jobIds: string[]
): Promise<Array<StoredWebhookEvent | null>> {
  const placeholders = rows.map(
    () => `(?::int, ?, ?::uuid, ?::uuid, ?::jsonb, ?::text[], ?::timestamptz, ?, ?::boolean, ?, ?)`
  )
  const result = await db.rawQuery(
    `with batch (ord, provider, channel_id, tenant_id, payload, senders, earliest_message_at, job_id,
        routed, phone_number_id, app_secret_encrypted) as (
        values ${placeholders.join(', ')}
      ),
      numbered as (
        select nextval(pg_get_serial_sequence('webhook_events', 'id')) as id, batch.*
        from batch
        where not batch.routed or exists (
          select 1 from channels c join tenants t on t.id = c.tenant_id
          where c.id = batch.channel_id and c.tenant_id = batch.tenant_id
            and c.phone_number_id is not distinct from batch.phone_number_id
            and c.app_secret_encrypted is not distinct from batch.app_secret_encrypted
            and t.status not in ('deleted', 'provisioning')
        )
      ),
      inserted as (
        insert into webhook_events (id, provider, channel_id, tenant_id, payload, senders,
          earliest_message_at, job_id)
        select id, provider, channel_id, tenant_id, payload, senders, earliest_message_at, job_id
          from numbered
        returning id, received_at
      )
      select numbered.ord, inserted.id::text as id, inserted.received_at
      from inserted join numbered using (id)`,
    rows.flatMap((row, index) => [
      index,
      row.provider,
      row.channelId,
      row.tenantId,
      row.payload,
      row.senders,
      row.earliestMessageAt,
      jobIds[index],
      !!row.routedAs,
      row.routedAs?.phoneNumberId ?? null,
      row.routedAs?.appSecretEncrypted ?? null,
    ])
  )
  const byPlace = new Map(
    (result.rows as Array<{ ord: number; id: string; received_at: Date }>).map((row) => [
      row.ord,
      { id: row.id, receivedAt: row.received_at },
    ])
  )
  return rows.map((row, index) => {
    const stored = byPlace.get(index)
    if (!stored && !row.routedAs) {
      throw new Error(`webhook event ${index + 1} of the batch was not stored`)
    }
    return stored ?? null
  })
}

/** One round trip to Redis for the batch's drains. */
async function enqueue(jobs: Map<string, WebhookEventsJob>) {
  try {
    await enqueueWebhookEvents([...jobs.values()])
    for (const [tenantId, job] of jobs) drainsAsked.set(tenantId, job.jobId)
  } catch (error) {
    logger.error(
      { err: error, drains: [...jobs.values()].map((job) => job.jobId) },
      'webhooks stored but not queued; the recovery sweep will process them'
    )
  }
}
