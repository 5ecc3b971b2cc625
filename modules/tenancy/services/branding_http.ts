import type { HttpContext } from '@adonisjs/core/http'
import { readLogo } from './branding_service.js'

/**
 * Branding files are addressed with `?v=<version>` by pages that know it, so
 * a versioned address never changes content; a plain address is re-checked
 * after five minutes.
 */
export function brandingCacheControl(version: unknown) {
  return version ? 'public, max-age=31536000, immutable' : 'public, max-age=300'
}

/**
 * Answers with a tenant's logo (ETag, cache headers, an SVG kept inert), or
 * returns false when it has none so the caller answers 404 in its own shape.
 */
export async function sendLogo(
  { request, response }: Pick<HttpContext, 'request' | 'response'>,
  tenantId: string
) {
  const logo = await readLogo(tenantId)
  if (!logo) return false
  response.header('X-Content-Type-Options', 'nosniff')
  response.header('ETag', logo.etag)
  response.header('Cache-Control', brandingCacheControl(request.input('v')))
  if (logo.mime === 'image/svg+xml') {
    response.header('Content-Security-Policy', `default-src 'none'; style-src 'unsafe-inline'`)
  }
  if (request.header('if-none-match') === logo.etag) {
    response.status(304).send('')
  } else {
    response.header('Content-Type', logo.mime)
    response.send(logo.bytes)
  }
  return true
}
