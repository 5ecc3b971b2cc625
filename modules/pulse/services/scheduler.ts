import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { DateTime } from 'luxon'
import { clock } from '#app/clock'
import { inWorkBatch } from '#app/queue/work_batch'
import { contextFor, tenantsInStatus, type TenantContext } from '#modules/tenancy/index'

/*
| The scheduler: every timed step (sequence steps, check-ins, nudges,
| renewal reminders, the weekly pulse) is a row of the tenant's `due_work`
| table, the schedule's source of truth, indexed by due time while pending.
| Workers claim due rows with FOR UPDATE SKIP LOCKED in batches across
| tenants, run the kind's handler and mark them done. A claim is a lease:
| the worker renews it while it works, and a row whose worker died (the
| lease lapsed) is claimed again by another. Nothing lives only in Redis.
|
| API (import from '#modules/pulse/index'):
|
|   registerDueHandler(kind, handler, { maxAttempts?, prepare? })
|     handler(tenant, row, { now, prepared }) runs the step of one row. It must be
|     idempotent per row: a row whose worker died after the step but before
|     "done" is run again. It may return:
|       - any JSON value: stored as the row's `result`, row -> done;
|       - deferDue(at, reason): row back to pending, due at `at` (quiet hours);
|     and may throw: retried with backoff up to maxAttempts (default 5),
|     then `failed` with last_error.
|     prepare(tenant, rows, { now }) (optional) reads what a batch's rows of
|     the kind need in a few statements (their enrollments, contacts) before
|     the handlers run; its value reaches each handler as `prepared`. A
|     prepare that fails leaves `prepared` undefined (handlers read alone).
|
|   A batch's handlers run inside one work batch (app/queue/work_batch.ts):
|   the jobs and notices their events hand on are queued together when the
|   batch's handlers are done, before the rows are marked done.
|
|   scheduleDue(tenant, { kind, dedupeKey, dueAt, contactId?, refId?, payload? },
|               { client?, revive? }) -> { id, status, created, rescheduled }
|     Inserts by dedupe key. A pending row with the same key is rescheduled
|     (due_at and payload replaced); a claimed/done/failed one is left alone,
|     so a key runs at most once (`revive: true` also brings a cancelled row
|     back to pending). Never duplicates. `client` joins a transaction.
|
|   cancelDue(tenant, { kind?, contactId?, refId?, dedupePrefix?, ids? },
|             { client?, reason? }) -> number cancelled
|     Cancels pending and claimed rows matching every given filter (at
|     least one). A claimed row's send is refused by sendGuard (below).
|
|   sendGuard(tenant, row) -> { idempotencyKey, requires }
|     Spread into queueOutboundMessage's request: the "send once" rule
|     campaigns use. The message is stored only while the row is still
|     claimed (not cancelled), its id is written to due_work.message_id in
|     the insert's own statement, and a second run of the row (after a
|     crash) meets the first message by its idempotency key instead of
|     sending another. `row.messageId` is set when a send already happened.
|
|   runDueNow({ tenant?, now?, limit? }) -> { claimed, done, deferred, failed, retried }
|     Claims and runs everything due at `now` (default clock.now()) until
|     none is left: what tests call on a fixed clock (#app/clock). With
|     `tenant` only that tenant's rows.
|
|   claimDue / finishClaimed: the two halves of one batch (tests simulate a
|     worker killed between claim and send by claiming and not finishing).
|
|   startDueWorker() / stopDueWorker(): the polling loops a worker process
|     runs (started on `queue:started` outside tests): LOOPS batches of up
|     to BATCH rows at once, each row's handler on one of PARALLEL lanes.
|     DUE_TRACE=1 prints each batch's claim and run times (bench:journeys).
|
|   dueRowsFor(tenant, { contactId?, refId?, kind? }): rows for timelines.
|
| Local time helpers live in ./local_time.ts (nextLocalTime, addLocal,
| localDateAt): a 09:00 local step stays 09:00 across a DST change.
*/

export type DueStatus = 'pending' | 'claimed' | 'done' | 'cancelled' | 'failed'

export interface DueRow {
  id: string
  kind: string
  dedupeKey: string
  contactId: string | null
  refId: string | null
  dueAt: DateTime
  payload: Record<string, any>
  status: DueStatus
  claimedAt: DateTime | null
  claimedBy: string | null
  attempts: number
  lastError: string | null
  result: unknown
  messageId: string | null
  finishedAt: DateTime | null
  createdAt: DateTime
}

export interface DueContext {
  /** The instant the batch was claimed at (the fixed clock in tests). */
  now: DateTime
  workerId: string
  /** What the kind's prepare read for the batch (undefined without one, or when it failed). */
  prepared?: unknown
}

export type DueHandler = (
  tenant: TenantContext,
  row: DueRow,
  context: DueContext
) => Promise<unknown>

export type DuePrepare = (
  tenant: TenantContext,
  rows: DueRow[],
  context: { now: DateTime }
) => Promise<unknown>

interface Registered {
  handler: DueHandler
  maxAttempts: number
  prepare?: DuePrepare
}

const handlers = new Map<string, Registered>()

/** Registers the handler of a kind (one per kind; registering again replaces it). */
export function registerDueHandler(
  kind: string,
  handler: DueHandler,
  options: { maxAttempts?: number; prepare?: DuePrepare } = {}
) {
  handlers.set(kind, {
    handler,
    maxAttempts: options.maxAttempts ?? 5,
    prepare: options.prepare,
  })
}

export function registeredDueKinds() {
  return [...handlers.keys()]
}

class Deferral {
  constructor(
    readonly at: DateTime,
    readonly reason: string
  ) {}
}

/** A handler's answer "not now, at `at`" (quiet hours): the row waits again, its attempt not counted. */
export function deferDue(at: DateTime | Date, reason = 'deferred') {
  return new Deferral(at instanceof Date ? DateTime.fromJSDate(at) : at, reason)
}

/** How long a claim lasts without renewal before another worker may take the row. */
export const LEASE_MS = 20_000
const HEARTBEAT_MS = 5_000
const BATCH = 200
const PARALLEL = 24
const POLL_MS = 1_000
const TRACE = process.env.DUE_TRACE === '1'
/** Batches a worker process runs at once. */
const LOOPS = 2

function toDate(value: DateTime | Date | string) {
  if (value instanceof Date) return value
  if (typeof value === 'string') return new Date(value)
  return value.toJSDate()
}

function dt(value: unknown): DateTime | null {
  if (value === null || value === undefined) return null
  return DateTime.fromJSDate(value instanceof Date ? value : new Date(value as string))
}

export function dueRowOf(row: any): DueRow {
  return {
    id: String(row.id),
    kind: row.kind,
    dedupeKey: row.dedupe_key,
    contactId: row.contact_id ?? null,
    refId: row.ref_id ?? null,
    dueAt: dt(row.due_at)!,
    payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : (row.payload ?? {}),
    status: row.status,
    claimedAt: dt(row.claimed_at),
    claimedBy: row.claimed_by ?? null,
    attempts: Number(row.attempts ?? 0),
    lastError: row.last_error ?? null,
    result: typeof row.result === 'string' ? JSON.parse(row.result) : (row.result ?? null),
    messageId: row.message_id ?? null,
    finishedAt: dt(row.finished_at),
    createdAt: dt(row.created_at)!,
  }
}

type Client = TransactionClientContract | typeof db

export interface ScheduleInput {
  kind: string
  dedupeKey: string
  dueAt: DateTime | Date | string
  contactId?: string | null
  refId?: string | null
  payload?: Record<string, unknown>
}

/**
 * scheduleDue's insert as a statement to run as a CTE of the caller's own
 * (`gate`: the name of a CTE whose rows must exist for it to happen), so a
 * step's move and its next row cost one round trip. Returns the row's id
 * when it was inserted or rescheduled.
 */
export function scheduleDueSql(
  tenant: TenantContext,
  input: ScheduleInput,
  options: { gate?: string; revive?: boolean } = {}
) {
  return {
    sql: scheduleDueSelectSql(
      tenant,
      `select ?::text, ?::text, ?::uuid, ?::text, ?::timestamptz, ?::jsonb
       ${options.gate ? `where exists (select 1 from ${options.gate})` : ''}`,
      options
    ),
    bindings: [
      input.kind,
      input.dedupeKey,
      input.contactId ?? null,
      input.refId ?? null,
      toDate(input.dueAt),
      JSON.stringify(input.payload ?? {}),
    ] as unknown[],
  }
}

/**
 * scheduleDueSql for the rows of a select (as a CTE of the caller's own):
 * `select` yields kind, dedupe_key, contact_id, ref_id, due_at, payload in
 * that order, one row per key. The same rule per key as one row's: a
 * pending row (or a cancelled one, with `revive`) is rescheduled, any
 * other is left as it is.
 */
export function scheduleDueSelectSql(
  tenant: TenantContext,
  select: string,
  options: { revive?: boolean } = {}
) {
  const revivable = options.revive ? `('pending', 'cancelled')` : `('pending')`
  return `insert into ${tenant.table('due_work')} as d
            (kind, dedupe_key, contact_id, ref_id, due_at, payload, status)
          select s.*, 'pending' from (${select}) s
          on conflict (dedupe_key) do update
            set due_at = excluded.due_at, payload = excluded.payload, status = 'pending',
                attempts = case when d.status = 'cancelled' then 0 else d.attempts end,
                last_error = null, updated_at = now()
            where d.status in ${revivable}
          returning id, status, (xmax = 0) as created`
}

/**
 * Inserts a due row by its dedupe key, or reschedules the pending one with
 * that key; a key already claimed, done or failed is left as it is.
 */
export async function scheduleDue(
  tenant: TenantContext,
  input: ScheduleInput,
  options: { client?: TransactionClientContract; revive?: boolean } = {}
): Promise<{ id: string; status: DueStatus; created: boolean; rescheduled: boolean }> {
  const client: Client = options.client ?? db
  const table = tenant.table('due_work')
  const statement = scheduleDueSql(tenant, input, { revive: options.revive })
  const result = await client.rawQuery(statement.sql, statement.bindings as any[])
  const row = result.rows[0]
  if (row && toDate(input.dueAt).getTime() <= Date.now() + POLL_MS) {
    // Due now: this process's loop looks at once (after the commit that makes the row visible).
    if (options.client) options.client.after('commit', wakeDueWorker)
    else wakeDueWorker()
  }
  if (row) {
    return {
      id: String(row.id),
      status: row.status,
      created: row.created,
      rescheduled: !row.created,
    }
  }
  const existing = await client.rawQuery(`select id, status from ${table} where dedupe_key = ?`, [
    input.dedupeKey,
  ])
  const found = existing.rows[0]
  return { id: String(found.id), status: found.status, created: false, rescheduled: false }
}

export interface DueFilter {
  kind?: string
  contactId?: string
  refId?: string
  dedupePrefix?: string
  ids?: string[]
}

function filterSql(filter: DueFilter) {
  const where: string[] = []
  const bindings: unknown[] = []
  if (filter.kind) {
    where.push('kind = ?')
    bindings.push(filter.kind)
  }
  if (filter.contactId) {
    where.push('contact_id = ?')
    bindings.push(filter.contactId)
  }
  if (filter.refId) {
    where.push('ref_id = ?')
    bindings.push(filter.refId)
  }
  if (filter.dedupePrefix) {
    where.push(`dedupe_key like ? escape '\\'`)
    bindings.push(filter.dedupePrefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%')
  }
  if (filter.ids) {
    where.push('id = any(?::bigint[])')
    bindings.push(filter.ids)
  }
  return { where, bindings }
}

/** Cancels the pending and claimed rows matching every filter given; returns how many. */
export async function cancelDue(
  tenant: TenantContext,
  filter: DueFilter,
  options: { client?: TransactionClientContract; reason?: string; exceptId?: string | null } = {}
): Promise<number> {
  const { where, bindings } = filterSql(filter)
  if (options.exceptId) {
    // The row whose own handler is cancelling the rest keeps its claim (it finishes as done).
    where.push('id <> ?')
    bindings.push(options.exceptId)
  }
  if (!where.length) throw new Error('cancelDue needs at least one filter')
  if (filter.ids && !filter.ids.length) return 0
  const client: Client = options.client ?? db
  const result = await client.rawQuery(
    `update ${tenant.table('due_work')}
        set status = 'cancelled', last_error = coalesce(?, last_error), claimed_at = null,
            finished_at = now(), updated_at = now()
      where status in ('pending', 'claimed') and ${where.join(' and ')}`,
    [options.reason ?? null, ...bindings]
  )
  return result.rowCount ?? 0
}

/** Rows of a contact, ref or kind, newest due first (timelines, dry runs, tests). */
export async function dueRowsFor(
  tenant: TenantContext,
  filter: DueFilter & { statuses?: DueStatus[] },
  limit = 200
): Promise<DueRow[]> {
  const { where, bindings } = filterSql(filter)
  if (filter.statuses) {
    where.push('status = any(?::text[])')
    bindings.push(filter.statuses)
  }
  const result = await db.rawQuery(
    `select * from ${tenant.table('due_work')}
      ${where.length ? `where ${where.join(' and ')}` : ''}
      order by due_at desc, id desc limit ?`,
    [...bindings, limit]
  )
  return result.rows.map(dueRowOf)
}

/**
 * The fields to spread into queueOutboundMessage's request so a row sends
 * at most once: stored only while the row is claimed, recorded on the row in
 * the same statement, and met again by its idempotency key on a re-run.
 */
export function sendGuard(tenant: TenantContext, row: Pick<DueRow, 'id'>) {
  return {
    idempotencyKey: `due:${row.id}`,
    requires: (planned: { id: string }) => ({
      sql: `update ${tenant.table('due_work')}
               set message_id = coalesce(message_id, ?::uuid), updated_at = now()
             where id = ? and status = 'claimed' returning id`,
      bindings: [planned.id, row.id],
    }),
  }
}

export const workerIdentity = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`

/**
 * Claims up to `limit` rows due at `now` (and rows whose claim lapsed) for
 * `workerId`, in due order, skipping rows another worker holds.
 */
export async function claimDue(
  tenant: TenantContext,
  options: { now?: DateTime; limit?: number; workerId?: string; leaseMs?: number } = {}
): Promise<DueRow[]> {
  const now = (options.now ?? clock.now()).toJSDate()
  const lapsed = new Date(now.getTime() - (options.leaseMs ?? LEASE_MS))
  const table = tenant.table('due_work')
  const limit = options.limit ?? BATCH
  // Two scans of the partial indexes (due pending rows, lapsed claims), not
  // one OR that reads the whole table: a lapsed claim may make the batch
  // up to twice `limit`.
  const result = await db.rawQuery(
    `with due as (
       select id from ${table}
        where status = 'pending' and due_at <= ?
        order by due_at, id limit ? for update skip locked),
     lapsed as (
       select id from ${table}
        where status = 'claimed' and claimed_at < ?
        order by claimed_at, id limit ? for update skip locked)
     update ${table} d
        set status = 'claimed', claimed_at = ?, claimed_by = ?, attempts = d.attempts + 1,
            updated_at = now()
      where d.id in (select id from due union all select id from lapsed)
      returning d.*`,
    [now, limit, lapsed, limit, now, options.workerId ?? workerIdentity]
  )
  return result.rows
    .map(dueRowOf)
    .sort(
      (a: DueRow, b: DueRow) =>
        a.dueAt.toMillis() - b.dueAt.toMillis() || Number(a.id) - Number(b.id)
    )
}

export interface BatchOutcome {
  claimed: number
  done: number
  deferred: number
  retried: number
  failed: number
}

function backoffMs(attempts: number) {
  return Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts - 1))
}

/** Runs the claimed rows' handlers and records each outcome (only while the claim is still ours). */
export async function finishClaimed(
  tenant: TenantContext,
  rows: DueRow[],
  options: { now?: DateTime; workerId?: string } = {}
): Promise<BatchOutcome> {
  const now = options.now ?? clock.now()
  const workerId = options.workerId ?? workerIdentity
  const outcome: BatchOutcome = {
    claimed: rows.length,
    done: 0,
    deferred: 0,
    retried: 0,
    failed: 0,
  }
  const done: Array<{ id: string; result: string }> = []
  const table = tenant.table('due_work')
  const heldIds = rows.map((row) => row.id)
  let renewing = true
  const renew = (async () => {
    // Keeps the lease of rows still in hand while slow handlers run.
    while (renewing) {
      await sleep(HEARTBEAT_MS)
      if (!renewing) break
      await db
        .rawQuery(
          `update ${table} set claimed_at = greatest(claimed_at, ?) where id = any(?::bigint[]) and status = 'claimed' and claimed_by = ?`,
          [clock.now().toJSDate(), heldIds, workerId]
        )
        .catch(() => {})
    }
  })()

  const started = performance.now()
  // Each kind's prepare reads what its rows need in a few statements.
  const prepared = new Map<string, unknown>()
  const byKind = new Map<string, DueRow[]>()
  for (const row of rows) byKind.set(row.kind, [...(byKind.get(row.kind) ?? []), row])
  await Promise.all(
    [...byKind].map(async ([kind, ofKind]) => {
      const prepare = handlers.get(kind)?.prepare
      if (!prepare) return
      try {
        prepared.set(kind, await prepare(tenant, ofKind, { now }))
      } catch (error) {
        logger.warn({ err: error, tenant: tenant.slug, kind }, 'due batch prepare failed')
      }
    })
  )

  const preparedIn = performance.now() - started
  const runOne = async (row: DueRow) => {
    const registered = handlers.get(row.kind)
    if (!registered) {
      // A process that does not know this kind (yet): leave it for one that does.
      await db.rawQuery(
        `update ${table} set status = 'pending', attempts = greatest(attempts - 1, 0), claimed_at = null,
                claimed_by = null, due_at = ?, last_error = ?, updated_at = now()
          where id = ? and status = 'claimed' and claimed_by = ?`,
        [now.plus({ minutes: 1 }).toJSDate(), `no handler for ${row.kind}`, row.id, workerId]
      )
      outcome.deferred++
      return
    }
    try {
      const value = await registered.handler(tenant, row, {
        now,
        workerId,
        prepared: prepared.get(row.kind),
      })
      if (value instanceof Deferral) {
        await db.rawQuery(
          `update ${table} set status = 'pending', attempts = greatest(attempts - 1, 0), claimed_at = null,
                  claimed_by = null, due_at = ?, last_error = ?, updated_at = now()
            where id = ? and status = 'claimed' and claimed_by = ?`,
          [value.at.toJSDate(), value.reason, row.id, workerId]
        )
        outcome.deferred++
        return
      }
      done.push({ id: row.id, result: JSON.stringify(value ?? null) })
      outcome.done++
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const final = row.attempts >= registered.maxAttempts
      if (!final) logger.warn({ err: error, tenant: tenant.slug, due: row.id }, 'due step failed')
      else logger.error({ err: error, tenant: tenant.slug, due: row.id }, 'due step gave up')
      await db.rawQuery(
        `update ${table}
            set status = ?, last_error = ?, claimed_at = null, due_at = ?,
                finished_at = case when ? then now() else null end, updated_at = now()
          where id = ? and status = 'claimed' and claimed_by = ?`,
        [
          final ? 'failed' : 'pending',
          message.slice(0, 2000),
          final
            ? row.dueAt.toJSDate()
            : now.plus({ milliseconds: backoffMs(row.attempts) }).toJSDate(),
          final,
          row.id,
          workerId,
        ]
      )
      if (final) outcome.failed++
      else outcome.retried++
    }
  }

  try {
    // One work batch: the events' jobs and notices are queued together when
    // the handlers are done, and before any row is marked done.
    await inWorkBatch(async () => {
      let next = 0
      const lanes = Array.from({ length: Math.min(PARALLEL, rows.length) }, async () => {
        while (next < rows.length) await runOne(rows[next++])
      })
      await Promise.all(lanes)
    })
  } finally {
    renewing = false
  }
  const handledIn = performance.now() - started - preparedIn
  if (done.length) {
    await db.rawQuery(
      `update ${table} d
          set status = 'done', result = r.result::jsonb, claimed_at = null, finished_at = ?,
              updated_at = now()
         from (select unnest(?::bigint[]) as id, unnest(?::text[]) as result) r
        where d.id = r.id and d.status = 'claimed' and d.claimed_by = ?`,
      [now.toJSDate(), done.map((d) => d.id), done.map((d) => d.result), workerId]
    )
  }
  void renew
  if (TRACE) {
    const markedIn = performance.now() - started - preparedIn - handledIn
    console.error(
      `due rows ${rows.length}: prepare ${preparedIn.toFixed(0)} ms, handlers ${handledIn.toFixed(0)} ms, done ${markedIn.toFixed(0)} ms`
    )
  }
  return outcome
}

function add(total: BatchOutcome, part: BatchOutcome) {
  total.claimed += part.claimed
  total.done += part.done
  total.deferred += part.deferred
  total.retried += part.retried
  total.failed += part.failed
}

/** One claim and run of a tenant's due rows; the outcome of the batch. */
export async function runDueBatch(
  tenant: TenantContext,
  options: { now?: DateTime; limit?: number; workerId?: string } = {}
) {
  const started = performance.now()
  const rows = await claimDue(tenant, options)
  if (!rows.length) return { claimed: 0, done: 0, deferred: 0, retried: 0, failed: 0 }
  const claimedIn = performance.now() - started
  const outcome = await finishClaimed(tenant, rows, options)
  if (TRACE) {
    console.error(
      `due batch ${rows.length}: claim ${claimedIn.toFixed(0)} ms, run ${(performance.now() - started - claimedIn).toFixed(0)} ms`
    )
  }
  return outcome
}

let tenantCache: { contexts: TenantContext[]; until: number } | null = null

async function schedulingTenants() {
  if (tenantCache && tenantCache.until > Date.now()) return tenantCache.contexts
  const rows = await tenantsInStatus(['active', 'suspended'])
  const contexts = rows.map((row) => contextFor(row))
  tenantCache = { contexts, until: Date.now() + 5_000 }
  return contexts
}

/**
 * Runs everything due at `now` (default the app clock) until nothing due is
 * left: for tests on a fixed clock, and for commands. Steps that schedule
 * further steps already due run in the same call.
 */
export async function runDueNow(
  options: { tenant?: TenantContext; now?: DateTime; limit?: number; workerId?: string } = {}
): Promise<BatchOutcome> {
  const total: BatchOutcome = { claimed: 0, done: 0, deferred: 0, retried: 0, failed: 0 }
  const tenants = options.tenant ? [options.tenant] : await schedulingTenants()
  for (const tenant of tenants) {
    for (let round = 0; round < 1000; round++) {
      const outcome = await runDueBatch(tenant, { ...options, now: options.now ?? clock.now() })
      add(total, outcome)
      if (!outcome.claimed) break
    }
  }
  return total
}

let loop: Promise<void> | null = null
let stopping = false
/** Set by wakeDueWorker; a loop that finds it set looks again instead of sleeping. */
let wakePending = false
const sleepers = new Set<() => void>()

/**
 * Tells this process's loop that a row is due now, so a step scheduled by
 * the step before it (or by a customer's message) runs without waiting for
 * the next poll. No-op in a process without the loop; rows are found by
 * the poll anyway, this only shortens the wait.
 */
export function wakeDueWorker() {
  if (!loop) return
  wakePending = true
  for (const wake of sleepers) wake()
}

/** Sleeps `ms`, or less when woken. */
function nap(ms: number) {
  if (wakePending) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      sleepers.delete(done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    sleepers.add(done)
  })
}

/** Starts this process's polling loop over every tenant (idempotent). */
export function startDueWorker() {
  if (loop) return
  stopping = false
  // LOOPS batches at once: one claims and marks while another's handlers
  // run, so a batch's slowest row never leaves the process idle.
  const runner = async (lane: number) => {
    // The second loop starts half a poll later: the two do not poll in step.
    if (lane) await sleep((POLL_MS / LOOPS) * lane)
    while (!stopping) {
      let busy = false
      wakePending = false
      try {
        for (const tenant of await schedulingTenants()) {
          if (stopping) break
          const outcome = await runDueBatch(tenant, { now: DateTime.now() }).catch((error) => {
            // A tenant whose schema is being dropped or migrated: the others go on.
            logger.warn({ err: error, tenant: tenant.slug }, 'due work batch failed')
            return null
          })
          if (outcome && outcome.claimed >= BATCH) busy = true
        }
      } catch (error) {
        logger.error({ err: error }, 'due work loop failed')
      }
      if (!busy) await nap(POLL_MS)
    }
  }
  loop = Promise.all(Array.from({ length: LOOPS }, (_, lane) => runner(lane))).then(() => {})
}

export async function stopDueWorker() {
  stopping = true
  for (const wake of sleepers) wake()
  const running = loop
  loop = null
  await running
}
