import limiter from '@adonisjs/limiter/services/main'
import { errors as limiterErrors } from '@adonisjs/limiter'
import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import { findPlan } from '#modules/billing/index'
import { CentralCache } from '#app/cache/central_cache'
import { ApiError } from '#app/http/api/index'

/** Requests per minute per key when the tenant's plan sets none. */
export function defaultRequestsPerMinute() {
  return env.get('API_REQUESTS_PER_MINUTE', 600)
}

/** Plans' budgets, kept while the central version holds (a plan's save raises it). */
const budgets = new CentralCache<{ perMinute: number | null }>()

/** The budget of a key on `planId`; kept under the central `version` (null: read afresh). */
export async function requestsPerMinuteFor(planId: string | null, version: string | null = null) {
  const plan = planId
    ? await budgets.get(planId, version, async () => {
        const found = await findPlan(planId)
        return { perMinute: found?.apiRequestsPerMinute ?? null }
      })
    : null
  return plan?.perMinute ?? defaultRequestsPerMinute()
}

/**
 * Counts one request against the key's budget for the minute (in Redis, so
 * it holds across processes) and sets the RateLimit headers on the answer.
 * Over budget: 429 `rate_limited` with Retry-After.
 */
export async function consumeApiBudget(ctx: HttpContext, keyId: string, perMinute: number) {
  const budget = limiter.use({ requests: perMinute, duration: '1 minute' })
  try {
    const result = await budget.consume(`api:${keyId}`)
    setHeaders(ctx, result)
  } catch (error) {
    if (!(error instanceof limiterErrors.E_TOO_MANY_REQUESTS)) throw error
    setHeaders(ctx, error.response)
    const retryAfter = String(Math.max(1, error.response.availableIn))
    throw new ApiError(
      429,
      'rate_limited',
      `This key may make ${perMinute} requests a minute; retry after ${retryAfter} s`,
      undefined,
      { 'Retry-After': retryAfter }
    )
  }
}

function setHeaders(
  ctx: HttpContext,
  result: { limit: number; remaining: number; availableIn: number }
) {
  ctx.response.header('RateLimit-Limit', String(result.limit))
  ctx.response.header('RateLimit-Remaining', String(Math.max(0, result.remaining)))
  ctx.response.header('RateLimit-Reset', String(Math.max(0, result.availableIn)))
}
