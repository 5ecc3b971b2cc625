/*
| HTTP middleware. Server middleware runs on every request, router middleware
| only on requests that match a route, named middleware where a route asks.
*/
import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'

server.errorHandler(() => import('#app/exceptions/handler'))

server.use([
  () => import('#app/middleware/container_bindings_middleware'),
  () => import('@adonisjs/static/static_middleware'),
])

router.use([() => import('@adonisjs/core/bodyparser_middleware')])

export const middleware = router.named({
  tenant: () => import('#modules/tenancy/middleware/resolve_tenant_middleware'),
})
