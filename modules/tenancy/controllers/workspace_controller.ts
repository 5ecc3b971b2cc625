import type { HttpContext } from '@adonisjs/core/http'
import { can } from '#modules/identity/index'
import { planOfTenant, usageFor } from '#modules/billing/index'
import { workspaceLayout } from '../services/workspace_nav.js'
import { dashboardStats, gettingStarted } from '../services/workspace_dashboard_service.js'

/**
 * A workspace's home: live counts and the first steps still to take.
 */
export default class WorkspaceController {
  async show(ctx: HttpContext) {
    const { bouncer, view, access, tenant, tenantRecord } = ctx
    await bouncer.with('WorkspacePolicy').authorize('view', access)
    const showUsage = can(access, 'billing.usage')
    const [stats, usage, plan] = await Promise.all([
      dashboardStats(tenant),
      showUsage ? usageFor(tenant.id) : null,
      showUsage ? planOfTenant(tenant.id) : null,
    ])
    return view.render('tenancy::pages/workspace/dashboard', {
      ...workspaceLayout(ctx, 'dashboard'),
      stats,
      checklist: gettingStarted(tenantRecord, stats, access),
      // Billing's usage panel (billing::usage/panel), for those who manage what counts.
      usage,
      plan,
    })
  }

  /** The stats card alone, for htmx to swap in place. */
  async stats(ctx: HttpContext) {
    const { bouncer, view, access, tenant } = ctx
    await bouncer.with('WorkspacePolicy').authorize('view', access)
    return view.render('tenancy::partials/dashboard_stats', {
      base: workspaceLayout(ctx, 'dashboard').base,
      stats: await dashboardStats(tenant),
    })
  }
}
