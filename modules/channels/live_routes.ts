/*
| Live updates for workspace pages (server-sent events).
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { tenantRoutes } from '#modules/tenancy/index'

const LiveController = () => import('./controllers/live_controller.js')

tenantRoutes(() => {
  router
    .get('/inbox/events', [LiveController, 'inbox'])
    .as('inbox.events')
    .use([middleware.auth(), middleware.workspace()])
})
