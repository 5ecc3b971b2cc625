import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Tenant from '../models/tenant.js'
import { tenantMigrator } from '../services/tenant_migrator.js'
import { ProgressBar } from './progress_bar.js'

export default class TenantsMigrate extends BaseCommand {
  static commandName = 'tenants:migrate'
  static description = 'Bring every tenant schema (or one) to the latest tenant migration'
  static options: CommandOptions = { startApp: true }

  @flags.string({ description: 'Only this tenant' })
  declare tenant?: string

  @flags.number({ description: 'Tenants migrated at once', default: 4 })
  declare concurrency: number

  async run() {
    const query = Tenant.query().whereNot('status', 'deleted').orderBy('slug')
    if (this.tenant) query.where('slug', this.tenant)
    const tenants = await query
    if (this.tenant && tenants.length === 0) {
      this.logger.error(`No tenant has the slug "${this.tenant}"`)
      this.exitCode = 1
      return
    }

    const bar = new ProgressBar(tenants.length, 'tenants')
    const failures: Array<{ slug: string; message: string }> = []
    let applied = 0
    let next = 0
    const workers = Array.from(
      { length: Math.max(1, Math.min(this.concurrency, tenants.length)) },
      async () => {
        while (next < tenants.length) {
          const tenant = tenants[next++]
          try {
            const names = await tenantMigrator.migrate(tenant)
            applied += names.length
            bar.tick()
          } catch (error) {
            failures.push({ slug: tenant.slug, message: (error as Error).message })
            bar.tick(true)
          }
        }
      }
    )
    await Promise.all(workers)
    bar.finish()

    for (const failure of failures) {
      this.logger.error(`${failure.slug}: ${failure.message}`)
    }
    const summary = `${tenants.length - failures.length} of ${tenants.length} tenants up to date, ${applied} migrations applied`
    if (failures.length) {
      this.logger.error(`${summary}; ${failures.length} failed`)
      this.exitCode = 1
    } else {
      this.logger.success(summary)
    }
  }
}
