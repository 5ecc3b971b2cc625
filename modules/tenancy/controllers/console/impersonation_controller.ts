import type { HttpContext } from '@adonisjs/core/http'
import { memberUserOrFail, startImpersonation, stopImpersonation } from '#modules/identity/index'
import Tenant from '../../models/tenant.js'
import { lifecycleActionsFor } from '../../services/console_tenant_service.js'

/** Where to bring the admin back to when they stop. */
const RETURN_KEY = 'console_return_tenant_id'

export default class ImpersonationController {
  /**
   * Signs the super admin in as a member of the tenant. Staff and oneself
   * are refused (PlatformPolicy), as are tenants whose doors are closed for
   * good (deleted) or not open yet (provisioning).
   */
  async start(ctx: HttpContext) {
    const { params, response, session, bouncer, i18n } = ctx
    const tenant = await Tenant.findOrFail(params.tenantId)
    const target = await memberUserOrFail(tenant.id, String(params.userId))

    const back = `/admin/tenants/${tenant.id}`
    if (!lifecycleActionsFor(tenant.status).impersonate) {
      session.flash('error', i18n.t('console.impersonation.tenant_closed'))
      return response.redirect(back)
    }
    if (await bouncer.with('PlatformPolicy').denies('impersonate', target)) {
      session.flash('error', i18n.t('console.impersonation.refused'))
      return response.redirect(back)
    }
    await startImpersonation(ctx, target, tenant)
    session.put(RETURN_KEY, tenant.id)
    return response.redirect(`/t/${tenant.slug}`)
  }

  /**
   * Runs under `auth` only: the signed-in user here is the member being
   * impersonated, not the super admin.
   */
  async stop(ctx: HttpContext) {
    const { response, session } = ctx
    const tenantId = session.pull(RETURN_KEY) as string | undefined
    const admin = await stopImpersonation(ctx)
    if (!admin) return response.redirect('/')
    const tenant = tenantId ? await Tenant.find(tenantId) : null
    return response.redirect(tenant ? `/admin/tenants/${tenant.id}` : '/admin')
  }
}
