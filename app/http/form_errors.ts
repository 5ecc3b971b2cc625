import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'

/** Never written to the session, not even as "old input" for a form re-rendered after an error. */
export const SECRET_FIELDS = ['access_token', 'app_secret', 'password', 'password_confirmation']

/**
 * Validates a form and, when it fails, sends the person back to `back` with
 * the field errors and what they typed (secrets excepted). Returns null then.
 * The explicit address, rather than "back", keeps the page right when the
 * browser sends no Referer.
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

/** Flashes what was typed, without secrets, for the form to show again. */
export function keepInput(ctx: HttpContext) {
  ctx.session.flashExcept(['_csrf', '_method', ...SECRET_FIELDS])
}

/** Reports an error on one field of the re-rendered form. */
export function fieldError(ctx: HttpContext, field: string, message: string) {
  keepInput(ctx)
  ctx.session.flash('inputErrorsBag', { [field]: [message] })
}
