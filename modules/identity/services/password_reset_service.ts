import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import hash from '@adonisjs/core/services/hash'
import mail from '@adonisjs/mail/services/main'
import env from '#start/env'
import User from '../models/user.js'
import { hashLinkToken, newLinkToken } from './tokens.js'
import { translatorFor } from './translator.js'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'

const RESET_LIFETIME_HOURS = 1

/**
 * Mails a reset link when the address belongs to someone, and does nothing
 * visible otherwise: the caller answers the same either way, and the mail is
 * queued, so the answer takes the same time too.
 */
export async function requestPasswordReset(email: string) {
  const user = await User.findByEmail(email)
  if (!user) return
  const { token, hash: tokenHash } = newLinkToken()
  await db.table('password_reset_tokens').insert({
    user_id: user.id,
    token_hash: tokenHash,
    expires_at: DateTime.now().plus({ hours: RESET_LIFETIME_HOURS }).toJSDate(),
  })
  const t = translatorFor(user.locale)
  const link = `${env.get('APP_URL', 'http://localhost:3333')}/reset-password/${token}`
  const data = {
    link,
    locale: user.locale,
    text: {
      greeting: t('auth.reset_mail.greeting', { name: user.name }),
      body: t('auth.reset_mail.body'),
      action: t('auth.reset_mail.action'),
      ignore: t('auth.reset_mail.ignore'),
    },
  }
  await mail.sendLater((message) => {
    message
      .to(user.email, user.name)
      .subject(t('auth.reset_mail.subject'))
      .htmlView('identity::emails/password_reset', data)
      .textView('identity::emails/password_reset_text', data)
  })
}

/**
 * The user a reset token still opens, or null when it is unknown, used or
 * older than an hour.
 */
export async function findResetUser(token: string): Promise<User | null> {
  const row = await db
    .from('password_reset_tokens')
    .where('token_hash', hashLinkToken(token))
    .whereNull('used_at')
    .where('expires_at', '>', new Date())
    .first()
  return row ? User.find(row.user_id) : null
}

/**
 * Sets the new password and spends the token, in one transaction so a token
 * can never be used twice even by two requests at once. Every other reset
 * link of that person, their sessions and their remember-me tokens stop
 * working.
 */
export async function resetPassword(token: string, password: string): Promise<User | null> {
  const newHash = await hash.make(password)
  return db.transaction(async (trx) => {
    const row = await trx
      .from('password_reset_tokens')
      .where('token_hash', hashLinkToken(token))
      .whereNull('used_at')
      .where('expires_at', '>', new Date())
      .forUpdate()
      .first()
    if (!row) return null
    await trx
      .from('password_reset_tokens')
      .where('user_id', row.user_id)
      .whereNull('used_at')
      .update({ used_at: new Date() })
    const user = await User.findOrFail(row.user_id, { client: trx })
    user.password = newHash
    await user.save()
    await endSessions(trx, user.id)
    return user
  })
}

/**
 * Ends a person's sessions and remember-me tokens, but for the session
 * `keep` (the one changing the password stays signed in).
 */
async function endSessions(
  client: QueryClientContract,
  userId: string,
  keep: string | null = null
) {
  const sessions = client.from('sessions').where('user_id', userId)
  if (keep) sessions.whereNot('id', keep)
  await sessions.delete()
  await client.from('remember_me_tokens').where('tokenable_id', userId).delete()
}

/**
 * A signed-in person's new password (the current one already checked):
 * every other session of theirs ends, here and on other devices.
 */
export async function changePassword(user: User, password: string, keepSessionId: string) {
  const newHash = await hash.make(password)
  await db.transaction(async (trx) => {
    user.useTransaction(trx)
    user.password = newHash
    await user.save()
    await endSessions(trx, user.id, keepSessionId)
  })
}
