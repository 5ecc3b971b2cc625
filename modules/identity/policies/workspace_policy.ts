import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import type User from '../models/user.js'
import type Membership from '../models/membership.js'
import type { Role } from '../models/membership.js'
import { can, canAssignRole, canManageMember, type WorkspaceAccess } from './role_matrix.js'

/**
 * One method per workspace action; each reads the role matrix.
 */
export default class WorkspacePolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'workspace.view')
  }

  viewTeam(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'team.view')
  }

  invite(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'team.invite')
  }

  /** Only owners may invite someone as an owner. */
  inviteAs(_user: User, access: WorkspaceAccess, role: Role): AuthorizerResponse {
    return can(access, 'team.invite') && (role !== 'owner' || access.role === 'owner')
  }

  /** Resend or revoke a pending invitation. */
  manageInvitations(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'team.invite')
  }

  changeRole(_user: User, access: WorkspaceAccess, member: Membership, role: Role) {
    // Admins cannot promote to or demote from owner; only owners change owners.
    return canAssignRole(access, role) && canManageMember(access, member)
  }

  /** Members set their own WhatsApp number; managers set others' (owners' only by owners). */
  setMemberPhone(_user: User, access: WorkspaceAccess, member: Membership) {
    return member.userId === access.userId || canManageMember(access, member)
  }

  /** Anyone may leave; managers remove others (owners only by owners). */
  removeMember(_user: User, access: WorkspaceAccess, member: Membership) {
    return member.userId === access.userId || canManageMember(access, member)
  }

  manageBranding(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'branding.manage')
  }
}
