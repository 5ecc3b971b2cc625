import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'

/*
| Form plumbing for the Knowledge pages, in the same shape as the channels
| module's (modules do not import each other's controllers).
*/

/**
 * Validates a form and, when it fails, sends the member back to `back` with
 * the field messages and what they typed. Returns null then. The explicit
 * address, rather than "back", keeps the page right without a Referer.
 */
export async function validatedOrBack<T>(
  ctx: HttpContext,
  back: string,
  validate: (meta: { t: (key: string, data?: Record<string, unknown>) => string }) => Promise<T>
): Promise<T | null> {
  try {
    return await validate({ t: (key, data) => ctx.i18n.t(key, data) })
  } catch (error) {
    if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
    ctx.session.flashValidationErrors(error)
    keepInput(ctx)
    ctx.response.redirect(back)
    return null
  }
}

/** Flashes what was typed for the form to show again. */
export function keepInput(ctx: HttpContext) {
  ctx.session.flashExcept(['_csrf', '_method'])
}

/** Reports an error on one field of the re-rendered form, keeping the input. */
export function fieldError(ctx: HttpContext, field: string, message: string) {
  keepInput(ctx)
  ctx.session.flash('inputErrorsBag', { [field]: [message] })
}

/**
 * htmx asks for one region alone (the list while it polls, the results of a
 * search); boosted navigation wants the whole page.
 */
export function wantsFragment(request: HttpContext['request'], target: string) {
  if (!request.header('HX-Request') || request.header('HX-Boosted')) return false
  return request.header('HX-Target') === target
}
