import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { wantsJson } from '#app/exceptions/handler'
import { workspacesOf } from '../services/home_path.js'
import { IMPERSONATOR_KEY } from '../services/impersonation_service.js'
import { isHtmx } from '#app/http/htmx'

/**
 * Signed-in people only. Browsers go to the sign-in page and come back to
 * where they were going; JSON and htmx callers get a 401 (htmx also told to
 * load the sign-in page).
 */
export default class AuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    if (await ctx.auth.check()) {
      ctx.view.share({
        impersonating: !!ctx.session.get(IMPERSONATOR_KEY),
        workspaces: await workspacesOf(ctx.auth.user!),
      })
      return next()
    }

    if (wantsJson(ctx)) {
      return ctx.response
        .status(401)
        .json({ error: { code: 'unauthenticated', message: 'Sign in first' } })
    }
    const back = ctx.request.method() === 'GET' ? ctx.request.url(true) : undefined
    const login = back ? `/login?next=${encodeURIComponent(back)}` : '/login'
    if (isHtmx(ctx.request)) {
      ctx.response.header('HX-Redirect', login)
      return ctx.response.status(401).send('')
    }
    return ctx.response.redirect(login)
  }
}
