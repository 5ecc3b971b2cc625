/*
| The integrations module's routes: the workspace's API keys page, and the
| REST API under /api/v1 (a machine route: bearer tokens, no session, no
| CSRF; see app/http/machine_routes.ts).
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const ApiKeysController = () => import('./controllers/api_keys_controller.js')
const MeController = () => import('./controllers/api/me_controller.js')
const ChannelsApiController = () => import('./controllers/api/channels_api_controller.js')
const ContactsApiController = () => import('./controllers/api/contacts_api_controller.js')

const api = router.named({
  apiAuth: () => import('./middleware/api_auth_middleware.js'),
  apiScope: () => import('./middleware/api_scope_middleware.js'),
})

addWorkspaceNavItem({
  key: 'api_keys',
  path: '/settings/api-keys',
  label: 'integrations.nav',
  permission: 'apikeys.manage',
  order: 95,
})

tenantRoutes(() => {
  router
    .group(() => {
      router.get('/settings/api-keys', [ApiKeysController, 'index']).as('api_keys')
      router.post('/settings/api-keys', [ApiKeysController, 'store']).as('api_keys.store')
      router
        .post('/settings/api-keys/:id/revoke', [ApiKeysController, 'revoke'])
        .as('api_keys.revoke')
    })
    .use([middleware.auth(), middleware.workspace()])
})

router
  .group(() => {
    router.get('/me', [MeController, 'show']).as('me')

    router
      .get('/channels', [ChannelsApiController, 'index'])
      .use(api.apiScope({ scope: 'channels:read' }))
      .as('channels.index')

    router
      .get('/contacts', [ContactsApiController, 'index'])
      .use(api.apiScope({ scope: 'contacts:read' }))
      .as('contacts.index')
    router
      .post('/contacts', [ContactsApiController, 'store'])
      .use(api.apiScope({ scope: 'contacts:write' }))
      .as('contacts.store')
    router
      .get('/contacts/:id', [ContactsApiController, 'show'])
      .use(api.apiScope({ scope: 'contacts:read' }))
      .as('contacts.show')
  })
  .prefix('/api/v1')
  .use(api.apiAuth())
  .as('api.v1')
