/*
| WhatsApp message templates: the list, "Sync now" and its progress, and a
| new template submitted for review.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const TemplatesController = () => import('./controllers/templates_controller.js')

addWorkspaceNavItem({
  key: 'templates',
  path: '/templates',
  label: 'templates.nav',
  permission: 'templates.view',
  order: 60,
})

tenantRoutes(() => {
  router
    .group(() => {
      router.get('/templates', [TemplatesController, 'index']).as('templates')
      router.post('/templates/sync', [TemplatesController, 'sync']).as('templates.sync')
      router
        .get('/templates/sync/:id', [TemplatesController, 'syncProgress'])
        .as('templates.sync.show')
        .where('id', router.matchers.uuid())
      router.get('/templates/new', [TemplatesController, 'create']).as('templates.create')
      router.post('/templates/new', [TemplatesController, 'store']).as('templates.store')
    })
    .use([middleware.auth(), middleware.workspace()])
})
