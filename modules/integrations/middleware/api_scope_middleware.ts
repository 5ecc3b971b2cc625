import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { ApiError, hasScope, type ApiScope } from '#app/http/api/index'

/**
 * Refuses a request whose key lacks the route's scope (403, naming it).
 * Runs after ApiAuthMiddleware, which the /api/v1 group applies.
 */
export default class ApiScopeMiddleware {
  async handle(ctx: HttpContext, next: NextFn, options: { scope: ApiScope }) {
    if (!hasScope(ctx.apiKey.scopes, options.scope)) {
      throw new ApiError(403, 'insufficient_scope', `This API key lacks the ${options.scope} scope`)
    }
    return next()
  }
}
