import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import app from '@adonisjs/core/services/app'
import { assertPublicTarget, BlockedAddressError, guardedLookup } from '#app/net/outbound_guard'

/*
| WhatsApp media is downloaded from the address Graph's media lookup names,
| with the channel's access token. That address comes from a response, not
| from us, so it goes through the outbound guard like a tenant's URL: a
| private, loopback or link-local target (the cloud metadata service, an
| admin port) is refused before any connection, at every redirect and again
| at connect time, and the token never leaves for a host it was not meant
| for.
*/

const MAX_REDIRECTS = 3

export class MediaDownloadRefused extends Error {}

export interface MediaDownloadOptions {
  timeoutMs: number
}

/** Private targets (and plain http) only where the operator allows them (tests, a local sandbox). */
function allowPrivate() {
  return app.config.get<boolean>('whatsapp.allowPrivateMediaUrls', false)
}

/**
 * Opens the download and answers the final response (the caller reads or
 * drains it). The bearer token is sent to the named address and to
 * redirects on the same origin only; a redirect elsewhere is followed
 * without it. Throws MediaDownloadRefused when the guard says no: that is
 * permanent, retrying will not change it.
 */
export async function openMediaDownload(
  link: string,
  accessToken: string,
  { timeoutMs }: MediaDownloadOptions
): Promise<IncomingMessage> {
  const signal = AbortSignal.timeout(timeoutMs)
  const permitPrivate = allowPrivate()
  let url: URL
  try {
    url = new URL(link)
  } catch {
    throw new MediaDownloadRefused(`not an address: ${String(link).slice(0, 200)}`)
  }
  const tokenOrigin = url.origin
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'https:' && !permitPrivate) {
      throw new MediaDownloadRefused(`media is fetched over https only, not ${url.protocol}`)
    }
    try {
      await assertPublicTarget(url, { allowPrivate: permitPrivate })
    } catch (error) {
      // A name that does not resolve now may resolve on the retry.
      if (error instanceof BlockedAddressError && error.reason !== 'unresolvable') {
        throw new MediaDownloadRefused(error.message)
      }
      throw error
    }
    const response = await get(url, url.origin === tokenOrigin ? accessToken : null, {
      signal,
      allowPrivate: permitPrivate,
    })
    const location = response.headers.location
    if (!(response.statusCode && response.statusCode >= 300 && response.statusCode < 400)) {
      return response
    }
    response.resume()
    if (!location) return response
    if (hop >= MAX_REDIRECTS) throw new MediaDownloadRefused('too many redirects')
    url = new URL(location, url)
  }
}

function get(
  url: URL,
  accessToken: string | null,
  options: { signal: AbortSignal; allowPrivate: boolean }
): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const request = client.request(url, {
      method: 'GET',
      signal: options.signal,
      lookup: guardedLookup({ allowPrivate: options.allowPrivate }),
      headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
    })
    request.on('response', resolve)
    request.on('error', (error) =>
      reject(error instanceof BlockedAddressError ? new MediaDownloadRefused(error.message) : error)
    )
    request.end()
  })
}
