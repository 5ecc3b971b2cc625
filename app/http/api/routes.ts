/*
| The /api/v1 surface is declared by several modules; each declares its
| routes inside apiV1(), which gives them the prefix, the bearer-token
| authentication (the integrations module's API keys, registered in
| start/kernel.ts as `apiAuth`) and the `api.v1.` route names. A route
| needing a scope adds `.use(apiScope('contacts:write'))`.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import type { ApiScope } from '#app/http/api/scopes'

export function apiV1(declare: () => void) {
  return router.group(declare).prefix('/api/v1').use(middleware.apiAuth()).as('api.v1')
}

export function apiScope(scope: ApiScope) {
  return middleware.apiScope({ scope })
}
