import redis from '@adonisjs/redis/services/main'
import db from '@adonisjs/lucid/services/db'
import type { TenantContext } from '#modules/tenancy/index'

/*
| When each workspace next has a task to expire: a Redis sorted set, the
| tenant's id scored by its earliest pending expires_at. The minute's sweep
| asks it which workspaces are due (one ZRANGEBYSCORE) instead of querying
| every workspace's schema, so a sweep with nothing due costs one Redis
| call whatever the number of tenants.
|
| Opening a task with an expiry lowers its tenant's score (ZADD LT). After
| sweeping a tenant its score is set to the next expiry it has left, then
| read again and lowered if a task opened meanwhile expires sooner (that
| task's own ZADD LT may have landed before the sweep's set). Redis losing
| the set costs nothing but time: a full pass over all workspaces rebuilds
| it at most once per RECONCILE_SECONDS.
*/

const KEY = 'hitl:expiry:next'
const RECONCILED = 'hitl:expiry:reconciled'
export const RECONCILE_SECONDS = 3600

/** A tenant's task now expires at `at`: its next due time is that, if sooner. */
export async function noteExpiry(tenantId: string, at: Date) {
  await redis.zadd(KEY, 'LT', at.getTime(), tenantId)
}

/** The tenants whose next expiry is at or before `now`. */
export async function dueTenantIds(now: Date) {
  return redis.zrangebyscore(KEY, '-inf', now.getTime())
}

async function earliestExpiry(tenant: TenantContext): Promise<Date | null> {
  const result = await db.rawQuery(
    `select min(expires_at) as at from ${tenant.table('hitl_tasks')}
      where status = 'pending' and expires_at is not null`
  )
  return result.rows[0]?.at ?? null
}

/** Sets the tenant's score to its earliest pending expiry now (removes it when none). */
export async function rescheduleTenant(tenant: TenantContext) {
  const next = await earliestExpiry(tenant)
  if (next) await redis.zadd(KEY, next.getTime(), tenant.id)
  else await redis.zrem(KEY, tenant.id)
  // A task opened while we read may have set a sooner time that the line above overwrote.
  const again = await earliestExpiry(tenant)
  if (again && (!next || again.getTime() < next.getTime())) await noteExpiry(tenant.id, again)
}

/** Whether a full pass is due (first sweep, or RECONCILE_SECONDS since the last): claims it. */
export async function claimReconcile() {
  const claimed = await redis.set(RECONCILED, String(Date.now()), 'EX', RECONCILE_SECONDS, 'NX')
  return claimed === 'OK'
}

export async function forgetTenantExpiry(tenantId: string) {
  await redis.zrem(KEY, tenantId)
}

/** For tests: forget the schedule (the next sweep rebuilds it). */
export async function resetExpirySchedule() {
  await redis.del(KEY, RECONCILED)
}

export async function scheduledExpiry(tenantId: string) {
  const score = await redis.zscore(KEY, tenantId)
  return score === null ? null : new Date(Number(score))
}
