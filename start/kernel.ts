/*
| HTTP middleware. Server middleware runs on every request, router middleware
| only on requests that match a route, named middleware where a route asks.
*/
import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'
import { browserOnly } from '#app/http/machine_routes'

server.errorHandler(() => import('#app/exceptions/handler'))

server.use([
  () => import('#app/middleware/container_bindings_middleware'),
  // Programs calling machine routes fetch no files: skipping the lookup
  // saves every API call a file-system stat.
  browserOnly(() => import('@adonisjs/static/static_middleware')),
])

router.use([
  // AdonisJS's body parser with a depth limit (app/middleware/body_parser_middleware.ts).
  () => import('#app/middleware/body_parser_middleware'),
  browserOnly(() => import('@adonisjs/session/session_middleware')),
  browserOnly(() => import('@adonisjs/shield/shield_middleware')),
  () => import('@adonisjs/auth/initialize_auth_middleware'),
  () => import('#app/middleware/initialize_bouncer_middleware'),
  () => import('#app/middleware/detect_locale_middleware'),
  () => import('#app/middleware/text_input_middleware'),
])

export const middleware = router.named({
  auth: () => import('#modules/identity/middleware/auth_middleware'),
  guest: () => import('#modules/identity/middleware/guest_middleware'),
  superAdmin: () => import('#modules/identity/middleware/super_admin_middleware'),
  workspace: () => import('#modules/identity/middleware/workspace_middleware'),
  // The REST API's bearer tokens and their scopes (app/http/api/routes.ts, apiScope()).
  apiAuth: () => import('#modules/integrations/middleware/api_auth_middleware'),
  apiScope: () => import('#modules/integrations/middleware/api_scope_middleware'),
})
