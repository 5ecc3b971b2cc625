import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Tenant from '../models/tenant.js'
import { tenantMigrator } from '../services/tenant_migrator.js'

export default class TenantsMigrateStatus extends BaseCommand {
  static commandName = 'tenants:migrate:status'
  static description = 'Show which tenant schemas are behind the latest tenant migration'
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Print JSON' })
  declare json: boolean

  async run() {
    const tenants = await Tenant.query().whereNot('status', 'deleted').orderBy('slug')
    const rows = []
    for (const tenant of tenants) {
      const pending = await tenantMigrator.pending(tenant)
      rows.push({ slug: tenant.slug, status: tenant.status, pending: pending.map((f) => f.name) })
    }
    const behind = rows.filter((row) => row.pending.length > 0)

    if (this.json) {
      this.logger.log(JSON.stringify({ latest: await tenantMigrator.latest(), tenants: rows }))
      return
    }
    if (behind.length === 0) {
      this.logger.success(`All ${rows.length} tenant schemas are up to date`)
      return
    }
    const table = this.ui.table()
    table.head(['Tenant', 'Status', 'Pending migrations'])
    for (const row of behind) table.row([row.slug, row.status, row.pending.join('\n')])
    table.render()
    this.logger.warning(
      `${behind.length} of ${rows.length} tenants are behind; run node ace tenants:migrate`
    )
  }
}
