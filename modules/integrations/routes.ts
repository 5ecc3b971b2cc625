/*
| The integrations module's routes: the workspace's API keys page, and the
| REST API under /api/v1 (a machine route: bearer tokens, no session, no
| CSRF; see app/http/machine_routes.ts).
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'
import { apiScope, apiV1 } from '#app/http/api/routes'
// What the OpenAPI document says of each route below, declared beside them.
import './api_docs/index.js'

const ApiKeysController = () => import('./controllers/api_keys_controller.js')
const MeController = () => import('./controllers/api/me_controller.js')
const ChannelsApiController = () => import('./controllers/api/channels_api_controller.js')
const ContactsApiController = () => import('./controllers/api/contacts_api_controller.js')
const SegmentsApiController = () => import('./controllers/api/segments_api_controller.js')
const ConversationsApiController = () => import('./controllers/api/conversations_api_controller.js')
const MessagesApiController = () => import('./controllers/api/messages_api_controller.js')
const TemplatesApiController = () => import('./controllers/api/templates_api_controller.js')

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

apiV1(() => {
  router.get('/me', [MeController, 'show']).as('me')

  router
    .get('/channels', [ChannelsApiController, 'index'])
    .use(apiScope('channels:read'))
    .as('channels.index')

  router
    .get('/contacts', [ContactsApiController, 'index'])
    .use(apiScope('contacts:read'))
    .as('contacts.index')
  router
    .post('/contacts', [ContactsApiController, 'store'])
    .use(apiScope('contacts:write'))
    .as('contacts.store')
  router
    .put('/contacts/by-phone/:phone', [ContactsApiController, 'upsert'])
    .use(apiScope('contacts:write'))
    .as('contacts.upsert')
  router
    .get('/contacts/:id', [ContactsApiController, 'show'])
    .use(apiScope('contacts:read'))
    .as('contacts.show')
  router
    .patch('/contacts/:id', [ContactsApiController, 'update'])
    .use(apiScope('contacts:write'))
    .as('contacts.update')
  router
    .delete('/contacts/:id', [ContactsApiController, 'destroy'])
    .use(apiScope('contacts:write'))
    .as('contacts.destroy')

  router
    .post('/segments', [SegmentsApiController, 'store'])
    .use(apiScope('campaigns:write'))
    .as('segments.store')
  router
    .get('/segments/:id', [SegmentsApiController, 'show'])
    .where('id', router.matchers.uuid())
    .use(apiScope('campaigns:read'))
    .as('segments.show')
  router
    .get('/segments/:id/contacts', [SegmentsApiController, 'contacts'])
    .where('id', router.matchers.uuid())
    .use(apiScope('campaigns:read'))
    .as('segments.contacts')

  router
    .get('/conversations', [ConversationsApiController, 'index'])
    .use(apiScope('conversations:read'))
    .as('conversations.index')
  // Before /conversations/:id, which would otherwise take "ingest" for an id.
  router
    .post('/conversations/ingest', [ConversationsApiController, 'ingest'])
    .use(apiScope('conversations:write'))
    .as('conversations.ingest')
  router
    .get('/conversations/:id', [ConversationsApiController, 'show'])
    .use(apiScope('conversations:read'))
    .as('conversations.show')
  router
    .patch('/conversations/:id', [ConversationsApiController, 'update'])
    .use(apiScope('conversations:write'))
    .as('conversations.update')
  router
    .get('/conversations/:id/messages', [ConversationsApiController, 'messages'])
    .use(apiScope('messages:read'))
    .as('conversations.messages')

  router
    .post('/messages', [MessagesApiController, 'store'])
    .use(apiScope('messages:write'))
    .as('messages.store')
  router
    .get('/messages/:id', [MessagesApiController, 'show'])
    .use(apiScope('messages:read'))
    .as('messages.show')

  router
    .get('/templates', [TemplatesApiController, 'index'])
    .use(apiScope('templates:read'))
    .as('templates.index')
})
