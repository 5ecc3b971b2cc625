import type { HttpContext } from '@adonisjs/core/http'
import type { AuditActor } from '#modules/tenancy/index'

/**
 * Who did it, for the audit log, when an API key did it: the key (by name
 * and prefix, never the token) and where the request came from.
 */
export function apiActor(ctx: HttpContext): AuditActor {
  const key = ctx.apiKey
  return {
    userId: null,
    label: `api_key:${key.prefix} (${key.name})`,
    source: ctx.request.ip(),
    userAgent: ctx.request.header('user-agent') ?? null,
  }
}
