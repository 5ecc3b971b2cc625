/*
| The pulse module's pages: segments (saved audiences) with their live preview.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const SegmentsController = () => import('./controllers/segments_controller.js')

addWorkspaceNavItem({
  key: 'segments',
  path: '/segments',
  label: 'pulse.segments.nav',
  permission: 'segments.view',
  order: 45,
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router.get('/segments', [SegmentsController, 'index']).as('segments')
      router.get('/segments/new', [SegmentsController, 'create']).as('segments.create')
      router.post('/segments/preview', [SegmentsController, 'preview']).as('segments.preview')
      router.post('/segments', [SegmentsController, 'store']).as('segments.store')
      router
        .get('/segments/:id', [SegmentsController, 'show'])
        .as('segments.show')
        .where('id', uuid)
      router
        .post('/segments/:id', [SegmentsController, 'update'])
        .as('segments.update')
        .where('id', uuid)
      router
        .post('/segments/:id/delete', [SegmentsController, 'destroy'])
        .as('segments.destroy')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})
