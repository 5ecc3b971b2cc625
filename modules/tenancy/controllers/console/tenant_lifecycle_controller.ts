import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import { actorFromRequest } from '#modules/identity/index'
import Tenant from '../../models/tenant.js'
import {
  hardDeleteTenant,
  reactivateTenant,
  restoreTenant,
  softDeleteTenant,
  suspendTenant,
} from '../../services/lifecycle_service.js'
import { TenancyError } from '../../services/tenancy_errors.js'
import {
  deleteTenantValidator,
  destroyTenantValidator,
  suspendTenantValidator,
} from '../../validators/console_tenant_validator.js'

interface ConfirmMeta {
  t: (key: string, values?: Record<string, unknown>) => string
  expected: string
}

/**
 * Suspend, reactivate, soft delete, restore and hard delete from the
 * tenant page. Each calls the lifecycle service (which writes the audit
 * row); a refusal (wrong status, restore window passed) comes back as a
 * flash message on the tenant page.
 */
export default class TenantLifecycleController {
  async suspend(ctx: HttpContext) {
    const tenant = await Tenant.findOrFail(ctx.params.id)
    const { reason } = await confirmed(ctx, tenant, (meta) =>
      ctx.request.validateUsing(suspendTenantValidator, { meta })
    )
    return this.#apply(ctx, tenant, 'suspended', () =>
      suspendTenant(tenant, actorFromRequest(ctx), reason)
    )
  }

  async reactivate(ctx: HttpContext) {
    const tenant = await Tenant.findOrFail(ctx.params.id)
    return this.#apply(ctx, tenant, 'reactivated', () =>
      reactivateTenant(tenant, actorFromRequest(ctx))
    )
  }

  async delete(ctx: HttpContext) {
    const tenant = await Tenant.findOrFail(ctx.params.id)
    await confirmed(ctx, tenant, (meta) =>
      ctx.request.validateUsing(deleteTenantValidator, { meta })
    )
    return this.#apply(ctx, tenant, 'deleted', () =>
      softDeleteTenant(tenant, actorFromRequest(ctx))
    )
  }

  async restore(ctx: HttpContext) {
    const tenant = await Tenant.findOrFail(ctx.params.id)
    return this.#apply(ctx, tenant, 'restored', () => restoreTenant(tenant, actorFromRequest(ctx)))
  }

  async destroy(ctx: HttpContext) {
    const tenant = await Tenant.findOrFail(ctx.params.id)
    await confirmed(ctx, tenant, (meta) =>
      ctx.request.validateUsing(destroyTenantValidator, { meta })
    )
    const result = await this.#apply(ctx, tenant, 'destroyed', () =>
      hardDeleteTenant(tenant, actorFromRequest(ctx))
    )
    // The tenant page no longer exists once the tenant is gone.
    return (await Tenant.find(tenant.id)) ? result : ctx.response.redirect('/admin/tenants')
  }

  async #apply(
    { response, session, i18n }: HttpContext,
    tenant: Tenant,
    done: string,
    change: () => Promise<unknown>
  ) {
    try {
      await change()
      session.flash('success', i18n.t(`console.lifecycle.${done}`, { name: tenant.name }))
    } catch (error) {
      if (!(error instanceof TenancyError)) throw error
      session.flash('error', i18n.t('console.lifecycle.refused', { reason: error.message }))
    }
    return response.redirect(`/admin/tenants/${tenant.id}`)
  }
}

/**
 * Validates the typed confirmation against the tenant's slug. The field
 * error sits inside a collapsed confirmation, so a page-level message says
 * that nothing changed.
 */
async function confirmed<T>(
  { session, i18n }: HttpContext,
  tenant: Tenant,
  validate: (meta: ConfirmMeta) => Promise<T>
): Promise<T> {
  try {
    return await validate({ t: (key, values) => i18n.t(key, values), expected: tenant.slug })
  } catch (error) {
    if (error instanceof vineErrors.E_VALIDATION_ERROR) {
      session.flash('error', i18n.t('console.lifecycle.not_confirmed'))
    }
    throw error
  }
}
