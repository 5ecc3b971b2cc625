/*
| The /api/v1 surface is declared by several modules (integrations, brain,
| webhooks); each declares its routes inside apiV1(), which gives them the
| prefix, the bearer-token authentication and the `api.v1.` route names.
| A route needing a scope adds `.use(apiScope('contacts:write'))`.
*/
import router from '@adonisjs/core/services/router'
import type { ApiScope } from './services/scopes.js'

const named = router.named({
  apiAuth: () => import('./middleware/api_auth_middleware.js'),
  apiScope: () => import('./middleware/api_scope_middleware.js'),
})

export function apiV1(declare: () => void) {
  return router.group(declare).prefix('/api/v1').use(named.apiAuth()).as('api.v1')
}

export function apiScope(scope: ApiScope) {
  return named.apiScope({ scope })
}
