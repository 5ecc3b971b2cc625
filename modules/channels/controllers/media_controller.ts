import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { streamStoredFile } from '#app/http/stored_file'
import { storedMediaOf } from '../services/media_service.js'

/**
 * Serves a message's file from the tenant's storage. The file is found by
 * the message (looked up in the tenant's own schema), never by a path from
 * the request; another tenant's message, or one whose file is not fetched
 * yet, is simply not found.
 */
export default class MediaController {
  async show(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request } = ctx
    await bouncer.with('MediaPolicy').authorize('view', access)
    const media = await storedMediaOf(tenant, params.messageId)
    const download = request.qs().download === '1' || !media?.inline
    const sent =
      media &&
      (await streamStoredFile(ctx, {
        key: media.key,
        // Only types a browser shows, never runs, keep their name. Anything else is served
        // as bytes: with nosniff a page that put this URL in <script src> gets nothing to run
        // (the sandbox policy guards opening it, not loading it into another page).
        contentType: media.inline ? media.mimeType : 'application/octet-stream',
        filename: media.filename,
        download,
        cacheControl: 'private, max-age=3600',
        // A customer's file is never a page of ours: nothing in it runs (browsers' PDF viewers
        // refuse a sandboxed document, and a PDF is shown by the viewer, not as a page).
        sandbox: !media.isPdf,
      }))
    if (!sent) throw new lucidErrors.E_ROW_NOT_FOUND()
  }
}
