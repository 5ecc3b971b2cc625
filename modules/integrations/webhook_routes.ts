/*
| Outbound webhooks: the workspace's Settings → Webhooks pages, the
| /api/v1/webhooks resource and the REST Hooks (/api/v1/hooks) that Zapier
| and n8n use to subscribe a flow to an event.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'
import { apiScope, apiV1 } from '#app/http/api/routes'
// What the OpenAPI document says of each API route below.
import './services/webhook_api_docs.js'

const WebhooksController = () => import('./controllers/webhooks_controller.js')
const WebhooksApiController = () => import('./controllers/api/webhooks_api_controller.js')
const HooksApiController = () => import('./controllers/api/hooks_api_controller.js')

addWorkspaceNavItem({
  key: 'webhooks',
  path: '/settings/webhooks',
  label: 'webhooks.nav',
  permission: 'webhooks.manage',
  order: 96,
})

tenantRoutes(() => {
  router
    .group(() => {
      const page = '/settings/webhooks/:id'
      router.get('/settings/webhooks', [WebhooksController, 'index']).as('webhooks')
      router.post('/settings/webhooks', [WebhooksController, 'store']).as('webhooks.store')
      router.get(page, [WebhooksController, 'show']).as('webhooks.show')
      router.post(page, [WebhooksController, 'update']).as('webhooks.update')
      router.post(`${page}/status`, [WebhooksController, 'status']).as('webhooks.status')
      router.post(`${page}/secret`, [WebhooksController, 'rotate']).as('webhooks.rotate')
      router.post(`${page}/test`, [WebhooksController, 'test']).as('webhooks.test')
      router.post(`${page}/delete`, [WebhooksController, 'destroy']).as('webhooks.destroy')
      router
        .post(`${page}/deliveries/:deliveryId/redeliver`, [WebhooksController, 'redeliver'])
        .as('webhooks.redeliver')
    })
    .use([middleware.auth(), middleware.workspace()])
})

apiV1(() => {
  router
    .get('/webhooks', [WebhooksApiController, 'index'])
    .use(apiScope('webhooks:read'))
    .as('webhooks.index')
  router
    .post('/webhooks', [WebhooksApiController, 'store'])
    .use(apiScope('webhooks:write'))
    .as('webhooks.store')
  router
    .get('/webhooks/:id', [WebhooksApiController, 'show'])
    .use(apiScope('webhooks:read'))
    .as('webhooks.show')
  router
    .patch('/webhooks/:id', [WebhooksApiController, 'update'])
    .use(apiScope('webhooks:write'))
    .as('webhooks.update')
  router
    .delete('/webhooks/:id', [WebhooksApiController, 'destroy'])
    .use(apiScope('webhooks:write'))
    .as('webhooks.destroy')
  router
    .post('/webhooks/:id/rotate-secret', [WebhooksApiController, 'rotate'])
    .use(apiScope('webhooks:write'))
    .as('webhooks.rotate')
  router
    .get('/webhooks/:id/deliveries', [WebhooksApiController, 'deliveries'])
    .use(apiScope('webhooks:read'))
    .as('webhooks.deliveries')

  router
    .post('/hooks', [HooksApiController, 'store'])
    .use(apiScope('webhooks:write'))
    .as('hooks.store')
  router
    .delete('/hooks/:id', [HooksApiController, 'destroy'])
    .use(apiScope('webhooks:write'))
    .as('hooks.destroy')
  router
    .get('/hooks/samples/:event', [HooksApiController, 'sample'])
    .use(apiScope('webhooks:read'))
    .as('hooks.sample')
})
