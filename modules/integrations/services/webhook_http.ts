import http from 'node:http'
import https from 'node:https'
import { assertPublicTarget, BlockedAddressError, guardedLookup } from '#app/net/outbound_guard'

export interface PostOutcome {
  /** The receiver's status, or null when no answer came (refused, timeout, blocked). */
  status: number | null
  excerpt: string | null
  error: string | null
  durationMs: number
  /** The target was refused by the private-address guard: retrying will not help. */
  blocked: boolean
}

const USER_AGENT = 'FloMastr-Webhooks/1.0 (+https://flomastr.com)'

/**
 * POSTs one signed delivery. The host is checked before connecting and
 * again by the socket's own DNS lookup (guardedLookup), so a name that
 * resolves to a public address at the check and a private one at connect
 * time (DNS rebinding) is refused. Redirects are not followed: a receiver
 * that moved must be re-subscribed, not silently chased to another host.
 */
export async function postWebhook(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean; excerptChars: number }
): Promise<PostOutcome> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  let url: URL
  try {
    url = new URL(target)
    await assertPublicTarget(url, { allowPrivate: options.allowPrivate })
  } catch (error) {
    return {
      status: null,
      excerpt: null,
      error: (error as Error).message,
      durationMs: elapsed(),
      blocked: error instanceof BlockedAddressError || error instanceof TypeError,
    }
  }
  const client = url.protocol === 'https:' ? https : http
  return new Promise<PostOutcome>((resolve) => {
    let settled = false
    const finish = (outcome: Omit<PostOutcome, 'durationMs'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ...outcome, durationMs: elapsed() })
    }
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup({ allowPrivate: options.allowPrivate }),
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'User-Agent': USER_AGENT,
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          // Only the start is kept; the rest is read and dropped so the socket frees.
          if (size < options.excerptChars * 4) chunks.push(chunk)
          size += chunk.length
        })
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, options.excerptChars)
          finish({
            status: response.statusCode ?? null,
            excerpt: text,
            error: null,
            blocked: false,
          })
        })
        response.on('error', (error) =>
          finish({
            status: response.statusCode ?? null,
            excerpt: null,
            error: error.message,
            blocked: false,
          })
        )
      }
    )
    const timer = setTimeout(() => {
      request.destroy(new Error(`No answer within ${options.timeoutMs} ms`))
    }, options.timeoutMs)
    request.on('error', (error) =>
      finish({
        status: null,
        excerpt: null,
        error: error.message,
        blocked: error instanceof BlockedAddressError,
      })
    )
    request.end(body)
  })
}
