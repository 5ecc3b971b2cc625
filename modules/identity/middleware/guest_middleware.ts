import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { homePathFor } from '../services/home_path.js'

/**
 * Pages for signed-out people (sign in, forgot password): someone already
 * signed in goes to their home instead.
 */
export default class GuestMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    if (await ctx.auth.check()) return ctx.response.redirect(await homePathFor(ctx.auth.user!))
    return next()
  }
}
