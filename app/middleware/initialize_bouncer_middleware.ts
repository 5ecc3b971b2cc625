import { Bouncer } from '@adonisjs/bouncer'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { policies } from '#start/policies'

/**
 * A bouncer per request for the signed-in user, shared with views so
 * templates can ask `@can('WorkspacePolicy.invite', access)`.
 */
export default class InitializeBouncerMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    ctx.bouncer = new Bouncer(() => ctx.auth.user || null, {}, policies).setContainerResolver(
      ctx.containerResolver
    )
    if ('view' in ctx) ctx.view.share(ctx.bouncer.edgeHelpers)
    return next()
  }
}

declare module '@adonisjs/core/http' {
  export interface HttpContext {
    bouncer: Bouncer<
      Exclude<HttpContext['auth']['user'], undefined>,
      Record<never, never>,
      typeof policies
    >
  }
}
