import type { HttpContext } from '@adonisjs/core/http'

/*
| Form plumbing shared by every module's forms lives in app/http/form_errors;
| the Knowledge pages add their own reading of htmx's target.
*/
export { fieldError, keepInput, validatedOrBack } from '#app/http/form_errors'

/**
 * htmx asks for one region alone (the list while it polls, the results of a
 * search); boosted navigation wants the whole page.
 */
export function wantsFragment(request: HttpContext['request'], target: string) {
  if (!request.header('HX-Request') || request.header('HX-Boosted')) return false
  return request.header('HX-Target') === target
}
