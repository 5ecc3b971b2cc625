import { createHmac, timingSafeEqual } from 'node:crypto'

/*
| FloMastr signs each delivery like Stripe: `X-FloMastr-Signature:
| t=<unix seconds>,v1=<hex>`, hex being HMAC-SHA256 of "<t>.<raw body>" with
| the hook's secret. The trigger checks it itself, so a workflow needs no
| Code node, no `crypto` allowance and no paid variables.
*/

export const SIGNATURE_HEADER = 'x-flomastr-signature'

/** How old a signature may be, against replays. */
export const TOLERANCE_SECONDS = 300

export function signatureIsValid(
  secret: string,
  header: string | undefined,
  rawBody: string,
  now = Date.now()
) {
  if (!secret || !header) return false
  const parts = Object.fromEntries(
    header.split(',').map((part) => part.trim().split('=', 2) as [string, string])
  )
  const t = Number(parts.t)
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string') return false
  if (Math.abs(now / 1000 - t) > TOLERANCE_SECONDS) return false
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest()
  const given = Buffer.from(parts.v1, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
