import { randomBytes } from 'node:crypto'
import hash from '@adonisjs/core/services/hash'
import { addMember, User, type Role } from '#modules/identity/index'

export const TEST_PASSWORD = 'correct-horse-battery'

/**
 * A user with a unique e-mail. Removed by the returned cleanup (tenants'
 * memberships go with their tenant).
 */
export async function makeUser(
  options: { superAdmin?: boolean; email?: string; name?: string; locale?: 'en' | 'ar' } = {}
) {
  const email = options.email ?? `u-${randomBytes(5).toString('hex')}@example.test`
  const user = await User.create({
    email,
    name: options.name ?? 'Test Person',
    password: await hash.make(TEST_PASSWORD),
    locale: options.locale ?? 'en',
    timezone: 'UTC',
    isSuperAdmin: options.superAdmin ?? false,
  })
  return { user, cleanup: () => user.delete() }
}

/**
 * A new user holding `role` in the tenant.
 */
export async function makeMember(tenantId: string, role: Role) {
  const email = `${role}-${randomBytes(5).toString('hex')}@example.test`
  const { user } = await addMember(
    tenantId,
    { email, password: TEST_PASSWORD, name: `A ${role}` },
    role
  )
  return user
}
