import { findTenant, Tenant, contextFor } from '#modules/tenancy/index'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type ApiKey from '../models/api_key.js'
import { ApiError } from '#app/http/api/index'
import { checkToken, touchApiKey } from '../services/api_key_service.js'
import { consumeApiBudget, requestsPerMinuteFor } from '../services/api_rate_limit.js'
import { CentralCache, centralVersion } from '#app/cache/central_cache'

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /** The key an /api/v1 request authenticated with. */
    apiKey: ApiKey
    /** The central cache version this request read (null: Redis could not say). */
    centralCacheVersion: string | null
  }
}

/** Keys' tenants by id, kept while the central version holds (a tenant's save raises it). */
const tenants = new CentralCache<Tenant>()

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="FloMastr API"' }

/**
 * Authenticates /api/v1 with `Authorization: Bearer <token>` and sets
 * `ctx.apiKey`, `ctx.tenant` (the same TenantContext workspace pages use) and
 * `ctx.tenantRecord`. Each refusal has its own code, so a client can tell a
 * typo from a revoked key.
 *
 * The key, its tenant and its plan's budget come from the process's memory
 * while the central cache version in Redis is unchanged (one GET instead
 * of three statements); revoking a key, suspending or deleting a tenant and
 * changing a plan raise it before they answer, so each takes effect on the
 * next request on every process (app/cache/central_cache.ts).
 */
export default class ApiAuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const header = ctx.request.header('authorization')
    if (!header?.trim()) {
      throw new ApiError(
        401,
        'missing_api_key',
        'Send your API key as Authorization: Bearer <token>',
        undefined,
        CHALLENGE
      )
    }
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1]
    const version = token ? await centralVersion() : null
    const check = token
      ? await checkToken(token, version)
      : ({ ok: false, reason: 'invalid' } as const)
    if (!check.ok) {
      const refusals = {
        invalid: ['invalid_api_key', 'The API key is not valid'],
        revoked: ['revoked_api_key', 'This API key has been revoked'],
        expired: ['expired_api_key', 'This API key has expired'],
      } as const
      const [code, message] = refusals[check.reason]
      throw new ApiError(401, code, message, undefined, CHALLENGE)
    }
    const key = check.key

    const tenant = await tenants.get(key.tenantId, version, () => findTenant(key.tenantId))
    if (!tenant || tenant.status === 'deleted' || tenant.status === 'provisioning') {
      throw new ApiError(
        401,
        'invalid_api_key',
        "This API key's workspace no longer exists",
        undefined,
        CHALLENGE
      )
    }
    if (tenant.status === 'suspended') {
      throw new ApiError(423, 'tenant_suspended', 'This workspace is suspended')
    }

    await consumeApiBudget(ctx, key.id, await requestsPerMinuteFor(tenant.planId, version))
    await touchApiKey(key)

    ctx.apiKey = key
    ctx.centralCacheVersion = version
    ctx.tenantRecord = tenant
    ctx.tenant = contextFor(tenant)
    return next()
  }
}
