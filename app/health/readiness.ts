import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { MigrationRunner } from '@adonisjs/lucid/migration'
import { redisUrl } from '#config/queue'
import { pingRedis } from '#app/queue/redis_connection'
import { tenantMigrator } from '#modules/tenancy/index'

export interface CheckResult {
  ok: boolean
  ms: number
  message?: string
  [detail: string]: unknown
}

async function timed(
  check: () => Promise<{ ok: boolean; [detail: string]: unknown }>
): Promise<CheckResult> {
  const started = performance.now()
  try {
    const result = await check()
    return { ...result, ok: result.ok, ms: Math.round(performance.now() - started) }
  } catch (error) {
    return {
      ok: false,
      ms: Math.round(performance.now() - started),
      message: (error as Error).message,
    }
  }
}

/**
 * What `/health/ready` reports: can we query the database, reach Redis, and
 * are the central schema and every live tenant schema on the latest
 * migration. Each check has its own time so a slow dependency is visible.
 */
export async function checkReadiness() {
  const [database, redis, migrations] = await Promise.all([
    timed(async () => {
      await db.rawQuery('select 1')
      return { ok: true }
    }),
    timed(async () => {
      await pingRedis(redisUrl, 1_000)
      return { ok: true }
    }),
    timed(checkMigrations),
  ])
  return { ok: database.ok && redis.ok && migrations.ok, checks: { database, redis, migrations } }
}

async function checkMigrations() {
  const runner = new MigrationRunner(db, app, { direction: 'up', dryRun: true })
  const central = await runner.getList()
  const pendingCentral = central.filter((file) => file.status === 'pending').map((f) => f.name)

  const latest = await tenantMigrator.latest()
  const behind = latest
    ? await db
        .from('tenants')
        .whereIn('status', ['active', 'suspended'])
        .where((query) => query.whereNull('schema_version').orWhere('schema_version', '<>', latest))
        .count('* as total')
    : [{ total: 0 }]
  const tenantsBehind = Number(behind[0].total)

  return {
    ok: pendingCentral.length === 0 && tenantsBehind === 0,
    pending_central: pendingCentral,
    tenants_behind: tenantsBehind,
  }
}
