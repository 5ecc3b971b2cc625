import router from '@adonisjs/core/services/router'
import tenancyConfig from '#config/tenancy'
import { middleware } from '#start/kernel'

/**
 * Registers a module's tenant routes twice: under `/t/<slug>` (works on any
 * host, including localhost) and on `<slug>.<APP_DOMAIN>`. Both pass through
 * tenant resolution, so handlers always find `ctx.tenant`.
 */
export function tenantRoutes(define: () => void) {
  router.group(define).prefix('/t/:tenant').use(middleware.tenant()).as('tenant')
  router
    .group(define)
    .domain(`:tenant.${tenancyConfig.domain}`)
    .use(middleware.tenant())
    .as('tenant_host')
}
