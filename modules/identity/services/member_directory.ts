import { errors as lucidErrors } from '@adonisjs/lucid'
import Membership, { type Role } from '../models/membership.js'
import User from '../models/user.js'

/*
| What other modules may know about a workspace's people, asked of the module
| that owns memberships and users: who can take conversations, names for
| ids, member counts, the team of a tenant for the console. Memberships and
| users are central, so these read outside any tenant transaction.
*/

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface MemberSummary {
  userId: string
  name: string
  email: string
  role: Role
}

/** Members of a tenant holding one of `roles`, sorted by name then e-mail. */
export async function membersWithRoles(
  tenantId: string,
  roles: readonly Role[]
): Promise<MemberSummary[]> {
  const memberships = await Membership.query()
    .where('tenant_id', tenantId)
    .whereIn('role', [...roles])
    .preload('user')
  return memberships
    .map((membership) => ({
      userId: membership.userId,
      name: membership.user.name,
      email: membership.user.email,
      role: membership.role,
    }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.email.localeCompare(b.email))
}

/** Whether `userId` is a member of the tenant holding one of `roles`. */
export async function hasMemberWithRole(tenantId: string, userId: string, roles: readonly Role[]) {
  if (!UUID.test(userId)) return false
  const membership = await Membership.query()
    .where('tenant_id', tenantId)
    .where('user_id', userId)
    .whereIn('role', [...roles])
    .first()
  return !!membership
}

/** Names (or e-mails, where a name is missing) of people by user id: members and former members. */
export async function peopleNames(ids: Array<string | null | undefined>) {
  const wanted = [...new Set(ids.filter((id): id is string => !!id && UUID.test(id)))]
  if (!wanted.length) return new Map<string, string>()
  const users = await User.query().whereIn('id', wanted).select('id', 'name', 'email')
  return new Map(users.map((user) => [user.id, user.name || user.email]))
}

/** How many members each of these tenants has. */
export async function memberCounts(tenantIds: string[]) {
  if (!tenantIds.length) return new Map<string, number>()
  const rows = await Membership.query()
    .whereIn('tenant_id', tenantIds)
    .groupBy('tenant_id')
    .select('tenant_id')
    .count('* as total')
  return new Map(rows.map((row) => [row.tenantId, Number(row.$extras.total)]))
}

/** A tenant's memberships with their accounts, owners first (the console's tenant page). */
export function tenantTeam(tenantId: string) {
  return Membership.query()
    .where('tenant_id', tenantId)
    .preload('user')
    .orderByRaw(`case role when 'owner' then 0 when 'admin' then 1 when 'agent' then 2 else 3 end`)
    .orderBy('created_at')
}

/** A member's account, or E_ROW_NOT_FOUND when the user is not a member of the tenant. */
export async function memberUserOrFail(tenantId: string, userId: string): Promise<User> {
  if (!UUID.test(userId)) throw new lucidErrors.E_ROW_NOT_FOUND(Membership)
  const membership = await Membership.query()
    .where('tenant_id', tenantId)
    .where('user_id', userId)
    .preload('user')
    .firstOrFail()
  return membership.user
}

/** The owners of a workspace with their accounts (for mail about the workspace). */
export async function ownerAccounts(tenantId: string): Promise<User[]> {
  const owners = await Membership.query()
    .where('tenant_id', tenantId)
    .where('role', 'owner')
    .preload('user')
  return owners.map((membership) => membership.user)
}
