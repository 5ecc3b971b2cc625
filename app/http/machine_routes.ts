import type { ServerResponse } from 'node:http'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

/*
| Machine routes are called by programs, not browsers: provider webhooks
| (signed), the integrations API (bearer tokens), the web chat widget
| (a visitor token, cross-origin) and health probes (a load balancer every
| few seconds). They carry no cookie session, so the
| browser middleware (session, shield's CSRF and headers) is skipped for
| them: running it would cost a session row per call, which at webhook rates
| is millions of dead rows and most of a request's time.
*/
const MACHINE_PREFIXES = ['/webhooks/', '/api/', '/webchat/']

const MACHINE_PATHS = ['/health', '/health/ready']

export function isMachinePath(url: string) {
  return MACHINE_PATHS.includes(url) || MACHINE_PREFIXES.some((prefix) => url.startsWith(prefix))
}

/*
| Shield's headers do not reach machine routes, and their answers are data
| (JSON, a challenge, a script or stylesheet of the widget), never a page to
| render: nosniff so a browser never runs one as a script it does not
| declare itself to be, and a policy that lets nothing load or frame it.
| They are set on Node's response before a lane or AdonisJS answers, so
| webhook lanes, routes, 404s and errors all carry them; a route that sends
| its own (the web chat frame, framed by the workspace's sites with its own
| policy) replaces them, since AdonisJS's writeHead takes precedence.
*/
const MACHINE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
}

export function setMachineHeaders(response: ServerResponse) {
  for (const [name, value] of Object.entries(MACHINE_HEADERS)) response.setHeader(name, value)
}

export function isMachineRequest(ctx: HttpContext) {
  return isMachinePath(ctx.request.url())
}

interface MiddlewareInstance {
  handle(ctx: HttpContext, next: NextFn): unknown
}
type MiddlewareModule = { default: new (...args: any[]) => MiddlewareInstance }

/**
 * Wraps a lazily imported router middleware so it runs for browser routes
 * only. The inner middleware is built through the container exactly as the
 * router would build it.
 */
export function browserOnly(load: () => Promise<MiddlewareModule>) {
  return async () => {
    const { default: Inner } = await load()
    class BrowserOnlyMiddleware {
      async handle(ctx: HttpContext, next: NextFn) {
        if (isMachineRequest(ctx)) return next()
        const inner = await ctx.containerResolver.make(Inner)
        return inner.handle(ctx, next)
      }
    }
    return { default: BrowserOnlyMiddleware }
  }
}
