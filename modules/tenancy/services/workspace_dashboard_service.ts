import { can, teamCounts, type WorkspaceAccess } from '#modules/identity/index'
import { Contact } from '#modules/channels/index'
import type Tenant from '../models/tenant.js'
import type { TenantContext } from './tenant_context.js'
import { hasBranding } from './branding_service.js'

export interface DashboardStats {
  members: number
  pendingInvitations: number
  contacts: number
}

/**
 * The numbers on a workspace's dashboard, read fresh each time (the stats
 * card refreshes itself every few seconds).
 */
export async function dashboardStats(tenant: TenantContext): Promise<DashboardStats> {
  const team = await teamCounts(tenant.id)
  const contacts = await tenant.transaction(async (trx) => {
    const row = await Contact.query({ client: trx }).count('* as total').first()
    return Number(row?.$extras.total ?? 0)
  })
  return { ...team, contacts }
}

export interface ChecklistItem {
  key: 'branding' | 'teammate'
  done: boolean
  /** Path inside the workspace where the step is done. */
  path: string
  /** Whether this member may take the step (else the list only informs). */
  actionable: boolean
}

/**
 * The getting-started list: make the workspace look like the business, and
 * bring in a colleague.
 */
export function gettingStarted(
  tenant: Tenant,
  stats: DashboardStats,
  access: WorkspaceAccess
): ChecklistItem[] {
  return [
    {
      key: 'branding',
      done: hasBranding(tenant),
      path: '/settings/branding',
      actionable: can(access, 'branding.manage'),
    },
    {
      key: 'teammate',
      done: stats.members > 1 || stats.pendingInvitations > 0,
      path: '/team',
      actionable: can(access, 'team.invite'),
    },
  ]
}
