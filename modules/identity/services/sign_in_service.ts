import hash from '@adonisjs/core/services/hash'
import limiter from '@adonisjs/limiter/services/main'
import User from '../models/user.js'

/**
 * Five failed attempts per e-mail and address within 15 minutes, then a
 * 15-minute wait. Counted on failures only, so a person who signs in
 * successfully is never locked out by their own earlier typos.
 */
const signInLimiter = () =>
  limiter.use({ requests: 5, duration: '15 mins', blockDuration: '15 mins' })

/**
 * Twenty failed attempts per e-mail from any number of addresses: someone
 * guessing one account's password from many addresses (a botnet, or headers
 * a client forged) is stopped too. Unknown addresses are counted the same
 * way, so the wait reveals nothing about which accounts exist.
 */
const accountLimiter = () => limiter.use({ requests: 20, duration: '15 mins' })

export type SignInResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number }

/**
 * A hash of nothing in particular, verified when the e-mail is unknown so an
 * unknown address takes as long to refuse as a wrong password.
 */
let decoyHash: string | null = null

class InvalidCredentials extends Error {}

export async function signIn(email: string, password: string, ip: string): Promise<SignInResult> {
  const account = email.trim().toLowerCase()
  const accountKey = `sign_in_account:${account}`
  const accounts = accountLimiter()
  // Checked by hand rather than with a second penalize(): a refusal by the
  // per-address limit must neither count against the account nor, read as
  // a success, clear its count.
  const held = await accounts.get(accountKey)
  if (held && held.remaining <= 0) {
    return { ok: false, reason: 'throttled', retryAfterSeconds: held.availableIn }
  }
  try {
    const [error, user] = await signInLimiter().penalize(`sign_in:${account}:${ip}`, async () => {
      const found = await User.findByEmail(email)
      decoyHash ??= await hash.make('decoy-password-for-timing')
      const valid = await hash.verify(found?.password ?? decoyHash, password)
      if (!found || !valid) throw new InvalidCredentials()
      return found
    })
    if (error) {
      return { ok: false, reason: 'throttled', retryAfterSeconds: error.response.availableIn }
    }
    await accounts.delete(accountKey)
    return { ok: true, user }
  } catch (error) {
    if (error instanceof InvalidCredentials) {
      const { consumed, limit } = await accounts.increment(accountKey)
      if (consumed >= limit) await accounts.block(accountKey, '15 mins')
      return { ok: false, reason: 'invalid' }
    }
    throw error
  }
}

/**
 * Lifts the sign-in waits on an account after its owner proved they hold
 * its e-mail (a password reset): the per-account count and the count for
 * the address the reset came from. Someone who locked the account by
 * guessing cannot do this without the mailbox.
 */
export async function clearSignInLocks(email: string, ip: string) {
  const account = email.trim().toLowerCase()
  await accountLimiter().delete(`sign_in_account:${account}`)
  await signInLimiter().delete(`sign_in:${account}:${ip}`)
}

/**
 * Session flag set at sign-in: this person had signed in before, so the
 * dashboard says "Welcome back" (a first visit gets a plain welcome).
 */
export const RETURNING_KEY = 'returning_member'
