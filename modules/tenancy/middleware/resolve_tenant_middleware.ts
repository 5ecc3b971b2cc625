import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import Tenant from '../models/tenant.js'
import type { TenantContext } from '../services/tenant_context.js'
import { contextFor } from '../services/tenant_registry.js'

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /** The tenant the request addresses; set on tenant routes only. */
    tenant: TenantContext
    tenantRecord: Tenant
  }
}

/**
 * Finds the tenant from `/t/<slug>` or `<slug>.<APP_DOMAIN>`. Unknown,
 * half-provisioned and deleted tenants answer 404; suspended ones 423 with a
 * page that says so.
 */
export default class ResolveTenantMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const slug = String(ctx.params.tenant ?? ctx.subdomains.tenant ?? '').toLowerCase()
    const tenant = slug ? await Tenant.findBy('slug', slug) : null

    if (!tenant || tenant.status === 'provisioning' || tenant.status === 'deleted') {
      return refuse(ctx, 404, 'tenant_not_found', 'No workspace exists at this address', {
        slug,
      })
    }
    if (tenant.status === 'suspended') {
      return refuse(ctx, 423, 'tenant_suspended', 'This workspace is suspended', {
        slug,
        name: tenant.name,
      })
    }

    ctx.tenantRecord = tenant
    ctx.tenant = contextFor(tenant)
    return next()
  }
}

async function refuse(
  ctx: HttpContext,
  status: number,
  code: string,
  message: string,
  page: Record<string, unknown>
) {
  ctx.response.status(status)
  if (ctx.request.accepts(['html', 'json']) === 'json' || ctx.request.url().includes('/api/')) {
    return ctx.response.json({ error: { code, message } })
  }
  const view =
    status === 404 ? 'tenancy::errors/tenant_not_found' : 'tenancy::errors/tenant_suspended'
  return ctx.response.send(await ctx.view.render(view, page))
}
