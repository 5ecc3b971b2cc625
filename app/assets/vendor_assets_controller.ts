import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { HttpContext } from '@adonisjs/core/http'

const require = createRequire(import.meta.url)

/**
 * htmx (with its head-support extension) and Alpine (its CSP build) served from our own origin, straight from
 * the installed packages, so the Content-Security-Policy can stay at 'self'
 * and the versions are exactly those in .ci/package-lock.json.
 */
const FILES: Record<string, string> = {
  'htmx.min.js': require.resolve('htmx.org/dist/htmx.min.js'),
  'htmx-head-support.min.js': require.resolve('htmx-ext-head-support/dist/head-support.min.js'),
  'alpine.min.js': require.resolve('@alpinejs/csp/dist/cdn.min.js'),
}

export default class VendorAssetsController {
  async handle({ params, response }: HttpContext) {
    const file = FILES[params.file]
    if (!file) return response.notFound('')
    const info = await stat(file)
    response.header('Content-Type', 'text/javascript; charset=utf-8')
    response.header('Content-Length', String(info.size))
    response.header('Cache-Control', 'public, max-age=86400')
    return response.stream(createReadStream(file))
  }
}
