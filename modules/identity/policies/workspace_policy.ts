import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import type User from '../models/user.js'
import type Membership from '../models/membership.js'
import type { Role } from '../models/membership.js'
import { can, canAssignRole, type WorkspaceAccess } from './role_matrix.js'

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

  changeRole(_user: User, access: WorkspaceAccess, member: Membership, role: Role) {
    if (!canAssignRole(access, role)) return false
    // Admins cannot demote an owner; only owners change owners.
    return member.role !== 'owner' || access.role === 'owner'
  }

  removeMember(_user: User, access: WorkspaceAccess, member: Membership) {
    if (member.userId === access.userId) return true
    if (!can(access, 'team.manage')) return false
    return member.role !== 'owner' || access.role === 'owner'
  }

  manageBranding(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'branding.manage')
  }
}
