import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import Tenant from '../models/tenant.js'

export default class TenantsList extends BaseCommand {
  static commandName = 'tenants:list'
  static description = 'List tenants with their status and schema version'
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Print JSON' })
  declare json: boolean

  @flags.string({ description: 'Only this status: active, suspended, deleted or provisioning' })
  declare status?: string

  async run() {
    const query = Tenant.query().orderBy('slug')
    if (this.status) query.where('status', this.status)
    const tenants = await query

    if (this.json) {
      this.logger.log(
        JSON.stringify(
          tenants.map((t) => ({
            id: t.id,
            slug: t.slug,
            name: t.name,
            status: t.status,
            schema: t.schemaName,
            schema_version: t.schemaVersion,
            created_at: t.createdAt.toISO(),
            deleted_at: t.deletedAt?.toISO() ?? null,
          }))
        )
      )
      return
    }

    if (tenants.length === 0) {
      this.logger.info(
        'No tenants yet. Create one with: node ace tenants:create --slug acme --name "Acme"'
      )
      return
    }
    const table = this.ui.table()
    table.head(['Slug', 'Name', 'Status', 'Schema', 'Created'])
    for (const t of tenants) {
      table.row([t.slug, t.name, t.status, t.schemaName, t.createdAt.toISODate() ?? ''])
    }
    table.render()
  }
}
