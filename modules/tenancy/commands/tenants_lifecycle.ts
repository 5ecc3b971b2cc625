import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type Tenant from '../models/tenant.js'
import {
  findTenantOrFail,
  hardDeleteTenant,
  purgeExpiredTenants,
  reactivateTenant,
  restoreTenant,
  softDeleteTenant,
  suspendTenant,
} from '../services/lifecycle_service.js'
import { cliActor, type AuditActor } from '../services/audit_log_service.js'

/**
 * The lifecycle commands share one shape: find the tenant by slug, apply
 * the change through the lifecycle service (which writes the audit row),
 * report the outcome or the reason it was refused.
 */
abstract class TenantLifecycleCommand extends BaseCommand {
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Tenant slug' })
  declare slug: string

  @flags.boolean({ description: 'Print the result as JSON' })
  declare json: boolean

  protected abstract apply(tenant: Tenant, actor: AuditActor): Promise<unknown>
  protected abstract done: string

  async run() {
    try {
      const tenant = await findTenantOrFail(this.slug)
      await this.apply(tenant, cliActor())
      if (this.json) {
        this.logger.log(JSON.stringify({ slug: tenant.slug, status: tenant.status }))
      } else {
        this.logger.success(`${tenant.slug}: ${this.done}`)
      }
    } catch (error) {
      const e = error as { code?: string; message: string }
      if (!e.code || e.code.startsWith('E_')) throw error
      this.exitCode = 1
      if (this.json)
        this.logger.log(JSON.stringify({ error: { code: e.code, message: e.message } }))
      else this.logger.error(e.message)
    }
  }
}

export class TenantsSuspend extends TenantLifecycleCommand {
  static commandName = 'tenants:suspend'
  static description = 'Suspend a tenant: its workspace and API answer "suspended"'
  protected done = 'suspended'

  @flags.string({ description: 'Why, for the audit log' })
  declare reason?: string

  protected apply(tenant: Tenant, actor: AuditActor) {
    return suspendTenant(tenant, actor, this.reason)
  }
}

export class TenantsReactivate extends TenantLifecycleCommand {
  static commandName = 'tenants:reactivate'
  static description = 'Reactivate a suspended tenant'
  protected done = 'active again'

  protected apply(tenant: Tenant, actor: AuditActor) {
    return reactivateTenant(tenant, actor)
  }
}

export class TenantsDelete extends TenantLifecycleCommand {
  static commandName = 'tenants:delete'
  static description = 'Soft-delete a tenant (restorable for 30 days)'
  protected done = 'deleted; restore it within 30 days with tenants:restore'

  protected apply(tenant: Tenant, actor: AuditActor) {
    return softDeleteTenant(tenant, actor)
  }
}

export class TenantsRestore extends TenantLifecycleCommand {
  static commandName = 'tenants:restore'
  static description = 'Restore a soft-deleted tenant'
  protected done = 'restored'

  protected apply(tenant: Tenant, actor: AuditActor) {
    return restoreTenant(tenant, actor)
  }
}

export class TenantsDestroy extends TenantLifecycleCommand {
  static commandName = 'tenants:destroy'
  static description = 'Hard-delete a soft-deleted tenant: drops its schema and data for good'
  protected done = 'destroyed; its schema and data are gone'

  @flags.boolean({ description: 'Do not ask for confirmation' })
  declare force: boolean

  protected async apply(tenant: Tenant, actor: AuditActor) {
    if (!this.force) {
      const typed = await this.prompt.ask(
        `This drops ${tenant.schemaName} and everything in it. Type the slug "${tenant.slug}" to confirm`
      )
      if (typed.trim() !== tenant.slug) {
        throw Object.assign(new Error('Not confirmed; nothing was deleted'), {
          code: 'not_confirmed',
        })
      }
    }
    return hardDeleteTenant(tenant, actor)
  }
}

export class TenantsPurge extends BaseCommand {
  static commandName = 'tenants:purge'
  static description = 'Hard-delete tenants deleted longer ago than the restore window'
  static options: CommandOptions = { startApp: true }

  async run() {
    const purged = await purgeExpiredTenants(cliActor())
    this.logger.success(purged.length ? `Purged: ${purged.join(', ')}` : 'Nothing to purge')
  }
}
