/*
| The pulse module's pages: segments (saved audiences) with their live preview.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const SegmentsController = () => import('./controllers/segments_controller.js')
const CampaignsController = () => import('./controllers/campaigns_controller.js')
const SequencesController = () => import('./controllers/sequences_controller.js')
const SequenceEnrollmentsController = () =>
  import('./controllers/sequence_enrollments_controller.js')

addWorkspaceNavItem({
  key: 'segments',
  path: '/segments',
  label: 'pulse.segments.nav',
  permission: 'segments.view',
  order: 45,
})

addWorkspaceNavItem({
  key: 'campaigns',
  path: '/campaigns',
  label: 'pulse.campaigns.nav',
  permission: 'campaigns.view',
  order: 46,
})

addWorkspaceNavItem({
  key: 'sequences',
  path: '/sequences',
  label: 'pulse.sequences.pages.nav',
  permission: 'campaigns.view',
  order: 47,
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router.get('/sequences', [SequencesController, 'index']).as('sequences')
      router.get('/sequences/new', [SequencesController, 'create']).as('sequences.create')
      router.post('/sequences', [SequencesController, 'store']).as('sequences.store')
      router
        .get('/sequences/:id', [SequencesController, 'edit'])
        .as('sequences.edit')
        .where('id', uuid)
      router
        .post('/sequences/:id', [SequencesController, 'update'])
        .as('sequences.update')
        .where('id', uuid)
      router
        .get('/sequences/:id/dry-run', [SequencesController, 'dryRun'])
        .as('sequences.dry_run')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      const c = (path: string) => `/campaigns/:id${path}`
      router.get('/campaigns', [CampaignsController, 'index']).as('campaigns')
      router.get('/campaigns/new', [CampaignsController, 'create']).as('campaigns.create')
      router.get('/campaigns/settings', [CampaignsController, 'settings']).as('campaigns.settings')
      router
        .post('/campaigns/settings', [CampaignsController, 'saveSettings'])
        .as('campaigns.settings.save')
      router.post('/campaigns/form', [CampaignsController, 'form']).as('campaigns.form')
      router.post('/campaigns', [CampaignsController, 'store']).as('campaigns.store')
      router.get(c(''), [CampaignsController, 'show']).as('campaigns.show').where('id', uuid)
      router.get(c('/edit'), [CampaignsController, 'edit']).as('campaigns.edit').where('id', uuid)
      router.post(c(''), [CampaignsController, 'update']).as('campaigns.update').where('id', uuid)
      router
        .get(c('/funnel'), [CampaignsController, 'funnel'])
        .as('campaigns.funnel')
        .where('id', uuid)
      router
        .get(c('/recipients.csv'), [CampaignsController, 'exportCsv'])
        .as('campaigns.csv')
        .where('id', uuid)
      for (const action of ['launch', 'pause', 'resume', 'cancel', 'retry'] as const) {
        router
          .post(c(`/${action}`), [CampaignsController, action])
          .as(`campaigns.${action}`)
          .where('id', uuid)
      }
      router
        .post(c('/test'), [CampaignsController, 'testSend'])
        .as('campaigns.test')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
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

tenantRoutes(() => {
  router
    .group(() => {
      router
        .post('/sequences/enrollments', [SequenceEnrollmentsController, 'store'])
        .as('sequences.enrollments.store')
      router
        .post('/sequences/enrollments/remove', [SequenceEnrollmentsController, 'destroy'])
        .as('sequences.enrollments.destroy')
    })
    .use([middleware.auth(), middleware.workspace()])
})
