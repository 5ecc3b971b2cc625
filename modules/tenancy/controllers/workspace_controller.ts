import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '../services/workspace_nav.js'
import { dashboardStats, gettingStarted } from '../services/workspace_dashboard_service.js'

/**
 * A workspace's home: live counts and the first steps still to take.
 */
export default class WorkspaceController {
  async show(ctx: HttpContext) {
    const { bouncer, view, access, tenant, tenantRecord } = ctx
    await bouncer.with('WorkspacePolicy').authorize('view', access)
    const stats = await dashboardStats(tenant)
    return view.render('tenancy::pages/workspace/dashboard', {
      ...workspaceLayout(ctx, 'dashboard'),
      stats,
      checklist: gettingStarted(tenantRecord, stats, access),
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
