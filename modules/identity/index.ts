/*
| Identity owns people: users, sign-in, password resets, invitations, and the
| roles a user holds in each tenant (memberships) with the policies that read
| them.
*/
import User from './models/user.js'
import Membership from './models/membership.js'

export { User, Membership }
export type { Role } from './models/membership.js'
export { addMember, type NewMemberAccount } from './services/membership_service.js'
