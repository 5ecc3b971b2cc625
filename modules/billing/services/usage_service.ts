import { tenantPlanIdQuery } from '#modules/tenancy/index'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { Exception } from '@adonisjs/core/exceptions'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Plan from '../models/plan.js'
import { sendLimitNotices } from './limit_notices.js'

/**
 * The limits billing meters, in display order. Seats, channels and knowledge
 * are what exists now (members and pending invitations, connected numbers,
 * stored knowledge in bytes); conversations and AI answers count per
 * calendar month (UTC).
 */
export const LIMITS = [
  'seats',
  'channels',
  'conversations',
  'ai_answers',
  'knowledge_bytes',
] as const
export type LimitName = (typeof LIMITS)[number]

const MONTHLY_LIMITS: readonly LimitName[] = ['conversations', 'ai_answers']

const MEGABYTE = 1024 * 1024

/** The plan's number for a limit (knowledge in bytes); null is unlimited. */
export function allowanceOf(plan: Plan | null, limit: LimitName): number | null {
  if (!plan) return null
  switch (limit) {
    case 'seats':
      return plan.maxSeats
    case 'channels':
      return plan.maxChannels
    case 'conversations':
      return plan.maxConversationsPerMonth
    case 'ai_answers':
      return plan.maxAiAnswersPerMonth
    case 'knowledge_bytes':
      return plan.maxKnowledgeMb === null ? null : plan.maxKnowledgeMb * MEGABYTE
  }
}

/**
 * A creation the plan does not allow. The API renders it as
 * 402 {"error":{"code":"plan_limit_reached","message","limit","allowed","used"}};
 * forms show `message` on the field at fault.
 */
export class PlanLimitError extends Exception {
  constructor(
    readonly limit: LimitName,
    readonly allowed: number,
    readonly inUse: number
  ) {
    super(limitMessage(limit, allowed), { status: 402, code: 'plan_limit_reached' })
  }

  /** What the API adds to its error body (see renderApiError). */
  apiDetails() {
    return { limit: this.limit, allowed: this.allowed, used: this.inUse }
  }
}

/** The refusal in the person's language, for a form: `t` is the request's i18n.t. */
export function planLimitMessage(
  error: PlanLimitError,
  t: (key: string, data?: Record<string, unknown>) => string
) {
  const allowed =
    error.limit === 'knowledge_bytes' ? Math.round(error.allowed / MEGABYTE) : error.allowed
  return t(`billing.usage.refused.${error.limit}`, { allowed })
}

function limitMessage(limit: LimitName, allowed: number) {
  const many = (one: string, other: string) => `${allowed} ${allowed === 1 ? one : other}`
  switch (limit) {
    case 'seats':
      return `Your plan allows ${many('seat', 'seats')} (members and pending invitations); remove one or change plan`
    case 'channels':
      return `Your plan allows ${many('channel', 'channels')}; remove one or change plan`
    case 'conversations':
      return `Your plan allows ${many('new conversation', 'new conversations')} a month; this month's are used`
    case 'ai_answers':
      return `Your plan allows ${many('AI answer', 'AI answers')} a month; this month's are used`
    case 'knowledge_bytes':
      return `Your plan allows ${Math.round(allowed / MEGABYTE)} MB of knowledge; this would go over it`
  }
}

/**
 * How a module that owns the counted things reports their number: billing
 * never reads another module's tables, so identity (seats), channels and
 * brain (knowledge) register a meter at boot. `client` is the caller's open
 * transaction, when it counts under its own lock.
 */
export type UsageMeter = (tenantId: string, client?: TransactionClientContract) => Promise<number>

/*
| A limit may have several meters, summed: knowledge storage counts the
| brain's sources and the data engine's datasets. Registering the same
| meter twice counts it once.
*/
const meters = new Map<LimitName, Set<UsageMeter>>()

export function registerUsageMeter(limit: LimitName, meter: UsageMeter) {
  const list = meters.get(limit) ?? new Set<UsageMeter>()
  list.add(meter)
  meters.set(limit, list)
}

/** The calendar month (UTC) usage counts against, such as '2026-03'. */
export function usagePeriod(at: DateTime = DateTime.utc()) {
  return at.toUTC().toFormat('yyyy-MM')
}

/** The tenant's plan (one statement), or null when it is on none. */
export async function planOfTenant(tenantId: string) {
  return Plan.query().whereIn('id', tenantPlanIdQuery(tenantId)).first()
}

async function used(limit: LimitName, tenantId: string, client?: TransactionClientContract) {
  if (MONTHLY_LIMITS.includes(limit)) {
    const row = await (client ?? db)
      .from('public.usage_records')
      .where({ tenant_id: tenantId, metric: limit, period: usagePeriod() })
      .count('* as total')
      .first()
    return Number(row?.total ?? 0)
  }
  let total = 0
  // One after another: on a caller's transaction, statements cannot overlap.
  for (const meter of meters.get(limit) ?? []) total += await meter(tenantId, client)
  return total
}

export interface LimitUsage {
  limit: LimitName
  used: number
  /** Null: unlimited. */
  allowed: number | null
  /** 0-100 for the bar (capped); null when unlimited. */
  percent: number | null
  /** At or over the limit: new ones are refused. */
  reached: boolean
}

function usageOf(limit: LimitName, count: number, allowed: number | null): LimitUsage {
  return {
    limit,
    used: count,
    allowed,
    percent:
      allowed === null
        ? null
        : allowed === 0
          ? 100
          : Math.min(100, Math.floor((count * 100) / allowed)),
    reached: allowed !== null && count >= allowed,
  }
}

/** Every limit of the tenant's plan with what is used, for the dashboard. */
export async function usageFor(tenantId: string): Promise<LimitUsage[]> {
  const plan = await planOfTenant(tenantId)
  return Promise.all(
    LIMITS.map(async (limit) =>
      usageOf(limit, await used(limit, tenantId), allowanceOf(plan, limit))
    )
  )
}

/**
 * Reads the tenant's allowance for a limit now (central tables, so before
 * any tenant transaction: in the embedded database a query outside an open
 * transaction would wait for it), and returns the check to run where the
 * count is taken. Pass the caller's transaction to `ensure` when it holds a
 * lock that serialises creation, so two requests cannot both pass at the
 * last free place. `adding` is how much the new thing counts (1, or bytes).
 * Lowering a plan below what is stored refuses new creation only.
 */
export async function limitGuard(tenantId: string, limit: LimitName) {
  const allowed = allowanceOf(await planOfTenant(tenantId), limit)
  const monthly = MONTHLY_LIMITS.includes(limit)
  return {
    allowed,
    async ensure(options: { adding?: number; client?: TransactionClientContract } = {}) {
      if (allowed === null) return
      // A monthly count has no row of the caller's to lock: this lock stands in.
      if (monthly && options.client) await lockUsage(options.client, tenantId, limit)
      const count = await used(limit, tenantId, options.client)
      // A URL not fetched yet adds 0 bytes: refused once the store is full.
      const adding = options.adding ?? 1
      if (count + adding > allowed || (adding === 0 && count >= allowed)) {
        throw new PlanLimitError(limit, allowed, count)
      }
    },
    /**
     * Counts a monthly thing in the caller's transaction, after `ensure`, so
     * the next caller waiting on the lock sees it (the announcement that
     * records it too comes only after commit).
     */
    async record(subject: string, client: TransactionClientContract) {
      if (allowed === null || !monthly) return
      await client.rawQuery(
        `insert into public.usage_records (tenant_id, metric, period, subject)
          values (?, ?, ?, ?) on conflict (tenant_id, metric, subject) do nothing`,
        [tenantId, limit, usagePeriod(), subject]
      )
    },
  }
}

function lockUsage(client: TransactionClientContract, tenantId: string, limit: LimitName) {
  return client.rawQuery('select pg_advisory_xact_lock(hashtext(?))', [
    `usage:${tenantId}:${limit}`,
  ])
}

/**
 * Records one metered thing of this month (a conversation, an AI answer),
 * once per subject, if the plan leaves room. Returns whether it fits; with
 * `keepOverLimit` a thing beyond the limit is still recorded, marked over
 * (an inbound conversation exists whatever the plan says). A subject
 * recorded before answers as it did then.
 *
 * Only a limit that refuses needs the per-tenant advisory lock (so two
 * callers cannot both take the last place); recording without refusing is
 * one statement, since the inbound worker records every new conversation.
 */
export async function recordMonthlyUsage(
  tenantId: string,
  limit: LimitName,
  subject: string,
  options: { keepOverLimit?: boolean } = {}
): Promise<{ withinLimit: boolean; usage: LimitUsage }> {
  const allowed = allowanceOf(await planOfTenant(tenantId), limit)
  const period = usagePeriod()
  const outcome =
    allowed === null || options.keepOverLimit
      ? await recordMarked(tenantId, limit, subject, period, allowed)
      : await recordWithin(tenantId, limit, subject, period, allowed)
  // Unlimited: nothing to refuse or tell, so the month is not counted here (usageFor does).
  if (allowed === null) return { withinLimit: true, usage: usageOf(limit, 0, null) }
  const usage = usageOf(limit, outcome.count ?? (await used(limit, tenantId)), allowed)
  await noticeUsage(tenantId, usage)
  return { withinLimit: outcome.withinLimit, usage }
}

/** One insert, marked over the limit when this month's count has reached it. */
async function recordMarked(
  tenantId: string,
  limit: LimitName,
  subject: string,
  period: string,
  allowed: number | null
): Promise<{ withinLimit: boolean; count: number | null }> {
  const [inserted] = await insertMarked(tenantId, limit, [subject], period, allowed)
  if (inserted) return { withinLimit: !inserted.over_limit, count: null }
  return { withinLimit: await isWithinMonthlyLimit(tenantId, limit, subject), count: null }
}

/**
 * Inserts the subjects not recorded yet in one statement, each marked over
 * the limit when the month's count (those before it in the list included)
 * has reached it. Returns the rows it inserted.
 */
async function insertMarked(
  tenantId: string,
  limit: LimitName,
  subjects: string[],
  period: string,
  allowed: number | null
): Promise<Array<{ subject: string; over_limit: boolean }>> {
  const inserted = await db.rawQuery(
    `with counted as (
        select count(*)::int as n from usage_records
          where tenant_id = ? and metric = ? and period = ?
      )
      insert into usage_records (tenant_id, metric, period, subject, over_limit)
      select ?, ?, ?, i.subject,
          coalesce((select n from counted) + i.position - 1 >= ?::int, false)
        from unnest(?::text[]) with ordinality as i(subject, position)
      on conflict (tenant_id, metric, subject) do nothing
      returning subject, over_limit`,
    [tenantId, limit, period, tenantId, limit, period, allowed, subjects]
  )
  return inserted.rows as Array<{ subject: string; over_limit: boolean }>
}

/**
 * recordMonthlyUsage with `keepOverLimit` for many subjects of one tenant:
 * one read of the plan, one insert, one count for the owners' notice. The
 * inbound worker meters the conversations a batch of webhooks opened so.
 */
export async function recordMonthlyUsageKeptOver(
  tenantId: string,
  limit: LimitName,
  subjects: string[]
): Promise<void> {
  if (!subjects.length) return
  const allowed = allowanceOf(await planOfTenant(tenantId), limit)
  await insertMarked(tenantId, limit, subjects, usagePeriod(), allowed)
  if (allowed === null) return
  await noticeUsage(tenantId, usageOf(limit, await used(limit, tenantId), allowed))
}

/** Records only while the month's count is under the limit, under the tenant's lock. */
async function recordWithin(
  tenantId: string,
  limit: LimitName,
  subject: string,
  period: string,
  allowed: number
): Promise<{ withinLimit: boolean; count: number }> {
  return db.transaction(async (trx) => {
    await lockUsage(trx, tenantId, limit)
    const earlier = await trx
      .from('usage_records')
      .where({ tenant_id: tenantId, metric: limit, subject })
      .select('over_limit')
      .first()
    const count = await used(limit, tenantId, trx)
    if (earlier) return { withinLimit: !earlier.over_limit, count }
    if (count >= allowed) return { withinLimit: false, count }
    await trx
      .table('usage_records')
      .insert({ tenant_id: tenantId, metric: limit, period, subject, over_limit: false })
    return { withinLimit: true, count: count + 1 }
  })
}

/** recordMonthlyUsage for a request that is refused past the limit (PlanLimitError). */
export async function useMonthlyAllowance(tenantId: string, limit: LimitName, subject: string) {
  const { withinLimit, usage } = await recordMonthlyUsage(tenantId, limit, subject)
  if (!withinLimit) throw new PlanLimitError(limit, usage.allowed ?? 0, usage.used)
}

/** Whether a subject recorded this month fits the plan (unrecorded ones do). */
export async function isWithinMonthlyLimit(tenantId: string, limit: LimitName, subject: string) {
  const row = await db
    .from('usage_records')
    .where({ tenant_id: tenantId, metric: limit, subject })
    .select('over_limit')
    .first()
  return !row?.over_limit
}

/**
 * Tells the owners when a limit reaches 80% or 100%, once per limit and
 * month. Called after a creation commits; a failure to queue the e-mail is
 * logged and never fails the creation.
 */
export async function usageChanged(tenantId: string, limit: LimitName) {
  try {
    const plan = await planOfTenant(tenantId)
    const allowed = allowanceOf(plan, limit)
    if (allowed === null) return
    await noticeUsage(tenantId, usageOf(limit, await used(limit, tenantId), allowed))
  } catch (error) {
    logger.error({ err: error, tenantId, limit }, 'billing: usage notice failed')
  }
}

async function noticeUsage(tenantId: string, usage: LimitUsage) {
  if (usage.allowed === null || usage.allowed === 0) return
  const ratio = usage.used / usage.allowed
  const thresholds = [100, 80].filter((threshold) => ratio * 100 >= threshold)
  if (!thresholds.length) return
  try {
    await sendLimitNotices(tenantId, usage, thresholds, usagePeriod())
  } catch (error) {
    logger.error({ err: error, tenantId, limit: usage.limit }, 'billing: usage notice failed')
  }
}

/**
 * A destroyed tenant's metering goes with it (billing's tables carry no
 * foreign key to tenants: see the usage tables' migration).
 */
export async function forgetTenantUsage(tenantId: string, client: TransactionClientContract) {
  await client.from('usage_records').where('tenant_id', tenantId).delete()
  await client.from('usage_notices').where('tenant_id', tenantId).delete()
}
