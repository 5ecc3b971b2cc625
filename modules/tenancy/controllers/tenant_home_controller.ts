import type { HttpContext } from '@adonisjs/core/http'
import { tenantMigrator } from '../services/tenant_migrator.js'

export default class TenantHomeController {
  /**
   * The workspace's front door: its name and the way in.
   */
  async show({ view, tenantRecord }: HttpContext) {
    return view.render('tenancy::pages/tenant_home', { tenant: tenantRecord })
  }

  /**
   * Whether this tenant's schema is on the latest tenant migration.
   */
  async health({ response, tenantRecord }: HttpContext) {
    const pending = await tenantMigrator.pending(tenantRecord)
    return response.status(pending.length ? 503 : 200).json({
      tenant: tenantRecord.slug,
      status: tenantRecord.status,
      schema: { version: tenantRecord.schemaVersion, pending: pending.map((file) => file.name) },
    })
  }
}
