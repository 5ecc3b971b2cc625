import type { ApplicationService } from '@adonisjs/core/types'
import db from '@adonisjs/lucid/services/db'
import { MigrationRunner } from '@adonisjs/lucid/migration'
import { Tenant, tenantMigrator } from '#modules/tenancy/index'
import env from '#start/env'
import { embeddedDatabase } from '#config/database'
import { redisUrl } from '#config/queue'
import { DEMO, seedDemo } from '#database/seeders/demo_seeder'
import { User } from '#modules/identity/index'

/**
 * What a development start does before serving: apply central and tenant
 * migrations, and seed the demo tenant and super admin the very first time.
 * Production runs `node ace migration:run` and `node ace tenants:migrate` as
 * deploy steps instead, and /health/ready reports anything pending.
 */
export async function prepareDevelopmentDatabase(app: ApplicationService) {
  const logger = await app.container.make('logger')
  const runner = new MigrationRunner(db, app, { direction: 'up' })
  await runner.run()
  if (runner.error) throw runner.error
  const appliedCentral = Object.keys(runner.migratedFiles).length
  if (appliedCentral) logger.info(`applied ${appliedCentral} central migrations`)

  const tenants = await Tenant.query().whereNot('status', 'deleted')
  for (const tenant of tenants) await tenantMigrator.migrate(tenant)

  const seeded = await seedDemo()
  if (seeded) {
    logger.info('seeded the demo tenant and the super admin (first run)')
  }
}

/**
 * The address and the demo logins, printed on every development start so
 * nobody has to look them up.
 */
export async function printDevelopmentBanner() {
  const url = `http://${env.get('HOST', 'localhost')}:${env.get('PORT', 3333)}`
  const lines = [`FloMastr is running at ${url}`]
  if (await User.findByEmail(DEMO.superAdmin.email)) {
    lines.push(`  Super admin   ${DEMO.superAdmin.email} / ${DEMO.superAdmin.password}`)
  }
  const demo = await Tenant.findBy('slug', DEMO.tenant.slug)
  if (demo && (await User.findByEmail(DEMO.owner.email))) {
    lines.push(
      `  Demo owner    ${DEMO.owner.email} / ${DEMO.owner.password}  (${url}/t/${demo.slug})`
    )
  }
  lines.push(
    `  Database      ${embeddedDatabase.enabled ? `embedded, data in ${embeddedDatabase.dataDir}` : 'PostgreSQL (DATABASE_URL)'}`,
    `  Redis         ${redisUrl.replace(/\/\/[^@]*@/, '//***@')}`
  )
  console.log(`\n${lines.join('\n')}\n`)
}
