import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

/**
 * The super-admin console. Runs after `auth`; anyone who is not platform
 * staff is refused by the PlatformPolicy (403).
 */
export default class SuperAdminMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    await ctx.bouncer.with('PlatformPolicy').authorize('administer')
    return next()
  }
}
