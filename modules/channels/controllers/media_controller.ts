import type { HttpContext } from '@adonisjs/core/http'
import { errors } from '@adonisjs/core'
import drive from '@adonisjs/drive/services/main'
import { storedMediaOf } from '../services/media_service.js'

/**
 * Serves a message's file from the tenant's storage. The file is found by
 * the message (looked up in the tenant's own schema), never by a path from
 * the request; another tenant's message, or one whose file is not fetched
 * yet, is simply not found.
 */
export default class MediaController {
  async show(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request, response } = ctx
    await bouncer.with('MediaPolicy').authorize('view', access)
    const media = await storedMediaOf(tenant, params.messageId)
    if (!media || !(await drive.use().exists(media.key))) {
      throw new errors.E_ROUTE_NOT_FOUND([request.method(), request.url()])
    }
    const { contentLength } = await drive.use().getMetaData(media.key)
    const download = request.qs().download === '1' || !media.inline
    // Only types a browser shows, never runs, keep their name. Anything else is served
    // as bytes: with nosniff a page that put this URL in <script src> gets nothing to run
    // (the sandbox policy below guards opening it, not loading it into another page).
    response.header('Content-Type', media.inline ? media.mimeType : 'application/octet-stream')
    response.header('Content-Length', String(contentLength))
    response.header('Cache-Control', 'private, max-age=3600')
    response.header('X-Content-Type-Options', 'nosniff')
    response.header('Content-Disposition', contentDisposition(download, media.filename))
    // A customer's file is never a page of ours: nothing in it runs (browsers' PDF viewers
    // refuse a sandboxed document, and a PDF is shown by the viewer, not as a page).
    if (!media.isPdf) response.header('Content-Security-Policy', "default-src 'none'; sandbox")
    return response.stream(await drive.use().getStream(media.key))
  }
}

/**
 * `inline` or `attachment` with the file's name: an ASCII fallback for old
 * clients and the exact name percent-encoded (RFC 6266 / 5987), so quotes,
 * line breaks or Arabic in a customer's file name cannot break the header.
 */
export function contentDisposition(download: boolean, filename: string) {
  const ascii = filename
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/["\\;]/g, '')
    .trim()
  // "وثيقة.pdf" keeps its extension: "file.pdf".
  const fallback = !ascii ? 'file' : ascii.startsWith('.') ? `file${ascii}` : ascii
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  )
  return `${download ? 'attachment' : 'inline'}; filename="${fallback}"; filename*=UTF-8''${encoded}`
}
