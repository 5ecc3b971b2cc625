import type { HttpContext } from '@adonisjs/core/http'

/*
| How a controller reads an htmx request, in one place. htmx marks its
| requests with HX-Request; a boosted link or form (hx-boost) adds
| HX-Boosted and wants a whole page, like a browser without JavaScript;
| HX-Target carries the id of the element the answer will replace, and is
| absent when that element has no id.
*/

type Request = HttpContext['request']

/** Any request made by htmx, boosted navigation included (e.g. a boosted form's refusal). */
export function isHtmx(request: Request) {
  return !!request.header('HX-Request')
}

/**
 * htmx asking for a fragment rather than a page: never a boosted
 * navigation. With `target`, only when htmx names that element as the one
 * it will replace; without HX-Target there is no telling which region is
 * meant, so a named fragment is not assumed and the whole page answers.
 */
export function wantsFragment(request: Request, target?: string) {
  if (!request.header('HX-Request') || request.header('HX-Boosted')) return false
  return target === undefined || request.header('HX-Target') === target
}
