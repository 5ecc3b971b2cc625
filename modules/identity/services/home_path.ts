import db from '@adonisjs/lucid/services/db'
import type User from '../models/user.js'

/**
 * Where a person lands after signing in: staff in the console, members in
 * the workspace they used last (or their first one), anyone else on their
 * profile, which explains that they belong to no workspace yet.
 */
export async function homePathFor(user: User): Promise<string> {
  if (user.isSuperAdmin) return '/admin'
  const workspaces = await workspacesOf(user)
  const last = workspaces.find((w) => w.id === user.lastTenantId) ?? workspaces[0]
  return last ? `/t/${last.slug}` : '/account/profile'
}

export interface WorkspaceSummary {
  id: string
  slug: string
  name: string
  role: string
}

/**
 * The active workspaces a person belongs to, for the switcher.
 */
export async function workspacesOf(user: Pick<User, 'id'>): Promise<WorkspaceSummary[]> {
  return db
    .from('memberships')
    .join('tenants', 'tenants.id', 'memberships.tenant_id')
    .where('memberships.user_id', user.id)
    .whereIn('tenants.status', ['active', 'suspended'])
    .orderBy('tenants.name')
    .select('tenants.id', 'tenants.slug', 'tenants.name', 'memberships.role')
}

/**
 * Only same-site paths are followed after sign-in, never another host.
 */
export function safeNextPath(next: unknown): string | null {
  if (typeof next !== 'string') return null
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return null
  return next
}
