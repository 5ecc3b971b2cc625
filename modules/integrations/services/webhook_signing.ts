import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/*
| Every delivery is signed the way Stripe signs its webhooks, so receivers
| can reuse what they know: `X-FloMastr-Signature: t=<unix seconds>,v1=<hex>`
| where hex is HMAC-SHA256 of "<t>.<raw body>" keyed with the subscription's
| secret. The timestamp inside the signed text lets a receiver refuse a
| replayed request; the README shows the check in a few lines.
*/

export const SIGNATURE_HEADER = 'X-FloMastr-Signature'
export const EVENT_ID_HEADER = 'X-FloMastr-Event-Id'
export const EVENT_TYPE_HEADER = 'X-FloMastr-Event-Type'

export function newWebhookSecret() {
  return `whsec_${randomBytes(24).toString('base64url')}`
}

export function signatureHeader(secret: string, body: string, unixSeconds: number) {
  const digest = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')
  return `t=${unixSeconds},v1=${digest}`
}

/**
 * The receiver's check, as the README teaches it: the signature matches and
 * is at most `toleranceSeconds` old.
 */
export function verifySignature(
  secret: string,
  header: string,
  body: string,
  toleranceSeconds = 300,
  now = Date.now()
) {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2)))
  const t = Number(parts.t)
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string') return false
  if (Math.abs(now / 1000 - t) > toleranceSeconds) return false
  const expected = Buffer.from(signatureHeader(secret, body, t).split('v1=')[1], 'hex')
  const given = Buffer.from(parts.v1, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
