import hash from '@adonisjs/core/services/hash'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import User from '../models/user.js'
import Membership, { type Role } from '../models/membership.js'

/**
 * A new account's password, in plain text or already hashed (the console
 * hashes it before queueing provisioning, so no job payload or row holds it
 * in the clear).
 */
export type NewMemberAccount = { email: string; name?: string } & (
  { password: string } | { passwordHash: string }
)

/**
 * Gives a person a role in a tenant, creating their account when the e-mail
 * is new. Safe to repeat: an existing account keeps its password, and an
 * existing membership is updated to the role asked for.
 */
export async function addMember(
  tenantId: string,
  account: NewMemberAccount,
  role: Role,
  client?: TransactionClientContract
): Promise<{ user: User; membership: Membership }> {
  const email = account.email.trim().toLowerCase()
  let user = await User.query({ client }).whereRaw('lower(email) = ?', [email]).first()
  if (!user) {
    user = new User()
    user.fill({
      email,
      name: account.name ?? email.split('@')[0],
      password:
        'passwordHash' in account ? account.passwordHash : await hash.make(account.password),
      locale: 'en',
      timezone: 'UTC',
      isSuperAdmin: false,
    })
    if (client) user.useTransaction(client)
    await user.save()
  }

  const membership = await Membership.updateOrCreate(
    { tenantId, userId: user.id },
    { role },
    { client }
  )
  return { user, membership }
}
