import type { HttpContext } from '@adonisjs/core/http'
import { tenantMigrator } from '../services/tenant_migrator.js'

export default class TenantHomeController {
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
