/*
| Identity owns people: users, sign-in, password resets, invitations, and the
| roles a user holds in each tenant (memberships) with the policies that read
| them.
*/
import User from './models/user.js'
import Membership from './models/membership.js'

export { RETURNING_KEY } from './services/sign_in_service.js'
export { User, Membership }
export type { Role, Availability } from './models/membership.js'
export { AVAILABILITIES } from './models/membership.js'
export { addMember, type NewMemberAccount } from './services/membership_service.js'
import './permissions.js'
export {
  can,
  definePermissions,
  permissionRows,
  type Permission,
  type PermissionNames,
  type PermissionRows,
  type WorkspaceAccess,
} from './policies/role_matrix.js'
export {
  actorFromRequest,
  startImpersonation,
  stopImpersonation,
} from './services/impersonation_service.js'
export { translatorFor } from './services/translator.js'
export { newLinkToken, hashLinkToken } from './services/tokens.js'
export { teamCounts, seatsInUse, ownersOf } from './services/team_service.js'
export {
  membersWithRoles,
  hasMemberWithRole,
  peopleNames,
  memberCounts,
  tenantTeam,
  memberUserOrFail,
  ownerAccounts,
  type MemberSummary,
} from './services/member_directory.js'

export const identityPolicies = {
  WorkspacePolicy: () => import('./policies/workspace_policy.js'),
  PlatformPolicy: () => import('./policies/platform_policy.js'),
}
export {
  membersByWhatsApp,
  memberPhoneOf,
  setMemberPhone,
  MemberPhoneError,
  type PhoneMember,
} from './services/member_phones.js'
export { registerIdentityListeners } from './events.js'
export { syncSuperAdmins, staffEmailsFrom } from './services/staff_service.js'
