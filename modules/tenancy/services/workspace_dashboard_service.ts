import { teamCounts } from '#modules/identity/index'
import { contactCount, inboxFigures, type InboxFigures } from '#modules/inbox/index'
import type { TenantContext } from './tenant_context.js'
import { addGettingStartedStep } from './getting_started.js'

export interface DashboardStats extends InboxFigures {
  members: number
  pendingInvitations: number
  contacts: number
}

/**
 * The numbers on a workspace's dashboard, read fresh each time (the stats
 * card refreshes itself every few seconds).
 */
export async function dashboardStats(
  tenant: TenantContext,
  timeZone: string
): Promise<DashboardStats> {
  const team = await teamCounts(tenant.id)
  const contacts = await contactCount(tenant)
  return { ...team, contacts, ...(await inboxFigures(tenant, timeZone)) }
}

// The last step of getting started: the team (the other steps come from the modules that own them).
addGettingStartedStep({
  key: 'team',
  order: 50,
  path: '/team',
  permission: 'team.invite',
  labels: 'workspace.checklist.team',
  done: async (tenant) => {
    const team = await teamCounts(tenant.id)
    return team.members > 1 || team.pendingInvitations > 0
  },
})
