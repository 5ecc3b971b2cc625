import type { HttpContext } from '@adonisjs/core/http'
import { can, RETURNING_KEY } from '#modules/identity/index'
import { planOfTenant, usageFor } from '#modules/billing/index'
import { workspaceLayout } from '../services/workspace_nav.js'
import { dashboardStats } from '../services/workspace_dashboard_service.js'
import { gettingStarted } from '../services/getting_started.js'

/**
 * A workspace's home: live counts and the first steps still to take.
 */
export default class WorkspaceController {
  async show(ctx: HttpContext) {
    const { bouncer, view, access, tenant, auth, session } = ctx
    await bouncer.with('WorkspacePolicy').authorize('view', access)
    const showUsage = can(access, 'billing.usage')
    const [stats, checklist, usage, plan] = await Promise.all([
      dashboardStats(tenant, auth.user!.timezone),
      gettingStarted(tenant, access),
      showUsage ? usageFor(tenant.id) : null,
      showUsage ? planOfTenant(tenant.id) : null,
    ])
    return view.render('tenancy::pages/workspace/dashboard', {
      ...workspaceLayout(ctx, 'dashboard'),
      stats,
      checklist,
      // "Welcome back" only for someone who had signed in before this session.
      returning: session.get(RETURNING_KEY, false) === true,
      // Billing's usage panel (billing::usage/panel), for those who manage what counts.
      usage,
      plan,
    })
  }

  /** The stats card alone, for htmx to swap in place. */
  async stats(ctx: HttpContext) {
    const { bouncer, view, access, tenant, auth } = ctx
    await bouncer.with('WorkspacePolicy').authorize('view', access)
    return view.render('tenancy::partials/dashboard_stats', {
      base: workspaceLayout(ctx, 'dashboard').base,
      stats: await dashboardStats(tenant, auth.user!.timezone),
    })
  }
}
