/*
| The flows module's pages: the list with the gallery of ready flows, and a
| flow's page (settings, figures, the canvas, JSON import/export, "Try it",
| publishing).
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const FlowsController = () => import('./controllers/flows_controller.js')

addWorkspaceNavItem({
  key: 'flows',
  path: '/flows',
  label: 'flows.nav',
  permission: 'flows.view',
  order: 48,
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router.get('/flows', [FlowsController, 'index']).as('flows')
      router.post('/flows', [FlowsController, 'store']).as('flows.store')
      router.get('/flows/:id', [FlowsController, 'show']).as('flows.show').where('id', uuid)
      router.post('/flows/:id', [FlowsController, 'update']).as('flows.update').where('id', uuid)
      router
        .post('/flows/:id/import', [FlowsController, 'import'])
        .as('flows.import')
        .where('id', uuid)
      router
        .post('/flows/:id/publish', [FlowsController, 'publish'])
        .as('flows.publish')
        .where('id', uuid)
      router
        .post('/flows/:id/graph', [FlowsController, 'saveGraph'])
        .as('flows.graph')
        .where('id', uuid)
      router.post('/flows/:id/try', [FlowsController, 'try']).as('flows.try').where('id', uuid)
      router
        .post('/flows/gallery/:key', [FlowsController, 'install'])
        .as('flows.install')
        .where('key', /^[a-z_]{1,40}$/)
      router
        .get('/flows/:id/export', [FlowsController, 'export'])
        .as('flows.export')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})
