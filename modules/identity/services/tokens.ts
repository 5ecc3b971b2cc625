import { createHash, randomBytes } from 'node:crypto'

/**
 * Single-use link tokens (password resets, invitations): 32 random bytes in
 * the link, only their SHA-256 in the database, so a leaked table opens
 * nothing.
 */
export function newLinkToken() {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashLinkToken(token) }
}

export function hashLinkToken(token: string) {
  return createHash('sha256').update(token).digest('hex')
}
