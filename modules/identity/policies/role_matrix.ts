import type { Availability, Role } from '../models/membership.js'

/**
 * What each tenant role may do. Every module declares its own rows in its
 * permissions.ts with definePermissions(), which registers them here and
 * adds their names to PermissionRows, so a misspelt permission fails to
 * compile. Policies and navigation ask can(); nothing else decides who may
 * do what inside a workspace.
 */
export interface PermissionRows {}

export type Permission = keyof PermissionRows & string

/** A module's rows, as PermissionRows members (for `interface PermissionRows extends ...`). */
export type PermissionNames<Rows> = { [Name in keyof Rows]: true }

const matrix = new Map<string, { roles: readonly Role[]; module: string }>()

export function definePermissions<const Rows extends Record<string, readonly Role[]>>(
  module: string,
  rows: Rows
): Rows {
  for (const [name, roles] of Object.entries(rows)) {
    const owner = matrix.get(name)?.module
    if (owner && owner !== module) {
      throw new Error(`The permission "${name}" is declared by both ${owner} and ${module}`)
    }
    matrix.set(name, { roles, module })
  }
  return rows
}

/** Every registered row: permission, roles, declaring module (for tests and docs). */
export function permissionRows() {
  return [...matrix].map(([permission, row]) => ({ permission, ...row }))
}

/**
 * The signed-in person's standing in the workspace a request addresses.
 * `impersonatorId` is set while a super admin acts as this member.
 */
export interface WorkspaceAccess {
  tenantId: string
  tenantSlug: string
  userId: string
  role: Role
  impersonatorId: string | null
  /** Whether this member takes new conversations now (round-robin assignment). */
  availability: Availability
}

export function can(access: WorkspaceAccess | null | undefined, permission: Permission) {
  if (!access) return false
  const row = matrix.get(permission)
  if (!row) throw new Error(`No module has registered the permission "${permission}"`)
  return row.roles.includes(access.role)
}

/**
 * Only an owner may grant or take away ownership; admins manage everyone else.
 */
export function canAssignRole(access: WorkspaceAccess, role: Role) {
  if (!can(access, 'team.manage')) return false
  return role !== 'owner' || access.role === 'owner'
}

/**
 * Whether `access` may change or remove this member: managers may, except
 * that only owners touch owners.
 */
export function canManageMember(access: WorkspaceAccess, member: { role: Role }) {
  return can(access, 'team.manage') && (member.role !== 'owner' || access.role === 'owner')
}
