import { randomBytes } from 'node:crypto'
import hash from '@adonisjs/core/services/hash'
import { recordAudit, systemActor } from '#modules/tenancy/index'
import User from '../models/user.js'

/**
 * The addresses in SUPER_ADMIN_EMAILS, normalised.
 */
export function staffEmailsFrom(setting: string | undefined): string[] {
  return [
    ...new Set(
      (setting ?? '')
        .split(',')
        .map((email) => email.trim().toLowerCase())
        .filter((email) => email.includes('@'))
    ),
  ]
}

/**
 * Makes every listed address platform staff. An address with no account gets
 * one whose password nobody knows: its owner sets one through "Forgot your
 * password?", which is how the first super admin of a fresh production
 * install signs in. Removing an address from the list does not demote
 * anyone; that is a decision for a person, not a restart. Returns the
 * addresses promoted or created.
 */
export async function syncSuperAdmins(emails: string[]): Promise<string[]> {
  const changed: string[] = []
  for (const email of emails) {
    const existing = await User.findByEmail(email)
    if (existing?.isSuperAdmin) continue
    let user: User
    if (existing) {
      user = existing
      user.isSuperAdmin = true
      await user.save()
    } else {
      user = await User.create({
        email,
        name: email.split('@')[0],
        password: await hash.make(randomBytes(32).toString('base64url')),
        locale: 'en',
        timezone: 'UTC',
        isSuperAdmin: true,
      })
    }
    await recordAudit(systemActor, {
      action: existing ? 'user.made_super_admin' : 'user.super_admin_created',
      subjectType: 'user',
      subjectId: user.id,
      metadata: { email, source: 'SUPER_ADMIN_EMAILS' },
    })
    changed.push(email)
  }
  return changed
}
