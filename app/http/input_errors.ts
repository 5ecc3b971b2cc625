import { Exception } from '@adonisjs/core/exceptions'
import type { HttpContext } from '@adonisjs/core/http'
import { SECRET_FIELDS } from '#app/http/form_errors'
import { withStorableText } from '#app/http/text_input'

/*
| The two ways a request's input is refused before any validator or query
| sees it. JSON clients (the API, web chat, htmx asking for JSON) get them in
| the usual error shape from the exception handler: 400 `invalid_json` (or
| `invalid_body`), and 422 `validation_failed` naming the fields. People
| filling a form get them like any other invalid field.
*/

/** A body that cannot be read: malformed, or nested deeper than MAX_BODY_DEPTH. */
export class UnreadableBodyError extends Exception {
  constructor(json: boolean, message: string) {
    super(message, { status: 400, code: json ? 'invalid_json' : 'invalid_body' })
  }
}

export const UNSTORABLE_TEXT_MESSAGE =
  'Contains a NUL character or invalid Unicode (an unpaired surrogate); remove it'

/**
 * Text the database cannot store (see text_input.ts). Shaped as a VineJS
 * validation error (status 422, `messages` per field), so every JSON
 * renderer answers it as `validation_failed` with the fields at fault.
 */
export class UnstorableTextError extends Exception {
  readonly messages: Array<{ field: string; message: string; rule: string }>

  constructor(fields: string[]) {
    super('The request is invalid', { status: 422, code: 'E_VALIDATION_ERROR' })
    this.messages = fields.map((field) => ({
      field,
      message: UNSTORABLE_TEXT_MESSAGE,
      rule: 'storableText',
    }))
  }

  /**
   * Pages: a form goes back with a message on each field and what was typed
   * (made storable, secrets left out), as for any invalid field; an address
   * that cannot be used (a GET) gets a page saying so, since going "back"
   * would repeat it.
   */
  async handle(error: this, ctx: HttpContext) {
    const t = (key: string) => ctx.i18n?.t(key) ?? key
    if (['GET', 'HEAD'].includes(ctx.request.method()) || !ctx.session) {
      const page = await ctx.view.render('pages/errors/status', {
        status: 422,
        kind: 'unstorable_text',
      })
      return ctx.response.status(422).send(page)
    }
    const message = t('common.unstorable_text_field')
    const bag: Record<string, string[]> = {}
    for (const { field } of error.messages) bag[field] = [message]
    const input = { ...ctx.request.original() }
    for (const name of ['_csrf', '_method', ...SECRET_FIELDS]) delete input[name]
    ctx.session.flash('input', withStorableText(input))
    ctx.session.flash('inputErrorsBag', bag)
    ctx.session.flash('errors', bag)
    ctx.session.flash('error', t('common.unstorable_text_body'))
    return ctx.response.redirect().back()
  }
}
