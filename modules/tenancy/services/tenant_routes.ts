import router from '@adonisjs/core/services/router'
import tenancyConfig from '#config/tenancy'

/**
 * Registers a module's tenant routes twice: under `/t/<slug>` (works on any
 * host, including localhost) and on `<slug>.<APP_DOMAIN>`. Both pass through
 * tenant resolution, so handlers always find `ctx.tenant`.
 *
 * The resolution middleware is referenced here rather than through
 * start/kernel.ts so this module can be imported before the app boots (ace
 * loads command modules first, and they reach this file through the index).
 */
export function tenantRoutes(define: () => void) {
  const { tenant } = router.named({
    tenant: () => import('../middleware/resolve_tenant_middleware.js'),
  })
  router.group(define).prefix('/t/:tenant').use(tenant()).as('tenant')
  router.group(define).domain(`:tenant.${tenancyConfig.domain}`).use(tenant()).as('tenant_host')
}
