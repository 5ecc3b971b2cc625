import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { UnstorableTextError } from '#app/http/input_errors'
import { fieldsWithUnstorableText, isStorableText } from '#app/http/text_input'

/**
 * Refuses text the database cannot store (NUL characters, unpaired
 * surrogates: see app/http/text_input.ts) in every request the router
 * serves: the query string, the route's parameters, the body (JSON, form or
 * multipart fields) and uploaded files' names. One check here instead of a
 * rule on every validator, so a new form or endpoint is covered without
 * remembering to. It runs after the session and locale are set up, so a
 * form goes back with field messages in the person's language.
 * (WhatsApp webhook POSTs are served before the router: see webhook_lane.)
 */
export default class TextInputMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const fields = new Set([
      ...fieldsWithUnstorableText(ctx.request.qs()),
      ...fieldsWithUnstorableText(ctx.params ?? {}),
      ...fieldsWithUnstorableText(ctx.request.body()),
    ])
    for (const [field, files] of Object.entries(ctx.request.allFiles())) {
      const list = Array.isArray(files) ? files : [files]
      if (list.some((file) => file && !isStorableText(file.clientName ?? ''))) fields.add(field)
    }
    if (fields.size) throw new UnstorableTextError([...fields].sort())
    return next()
  }
}
