/*
| The outreach pages: rules (follow-up nudges, date reminders, check-in
| plans), the coach's page of a plan, the weekly Relational Pulse with its
| drafts, and the Renewals page.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const OutreachController = () => import('./controllers/outreach_controller.js')
const CoachController = () => import('./controllers/coach_controller.js')
const RelationalPulseController = () => import('./controllers/relational_pulse_controller.js')
const RenewalsController = () => import('./controllers/renewals_controller.js')

addWorkspaceNavItem({
  key: 'outreach',
  path: '/outreach',
  label: 'outreach.nav',
  permission: 'outreach.view',
  order: 48,
})

addWorkspaceNavItem({
  key: 'renewals',
  path: '/renewals',
  label: 'outreach.renewals.nav',
  permission: 'renewals.view',
  order: 49,
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router.get('/outreach', [OutreachController, 'index']).as('outreach')
      for (const kind of ['nudges', 'reminders', 'checkins'] as const) {
        router
          .get(`/outreach/${kind}/new`, [OutreachController, 'create'])
          .as(`outreach.${kind}.create`)
        router.post(`/outreach/${kind}`, [OutreachController, 'store']).as(`outreach.${kind}.store`)
        router
          .get(`/outreach/${kind}/:id`, [OutreachController, 'edit'])
          .as(`outreach.${kind}.edit`)
          .where('id', uuid)
        router
          .post(`/outreach/${kind}/:id`, [OutreachController, 'update'])
          .as(`outreach.${kind}.update`)
          .where('id', uuid)
        if (kind !== 'checkins') {
          router
            .post(`/outreach/${kind}/:id/delete`, [OutreachController, 'destroy'])
            .as(`outreach.${kind}.destroy`)
            .where('id', uuid)
        }
      }
      router
        .get('/outreach/checkins/:id/coach', [CoachController, 'show'])
        .as('outreach.checkins.coach')
        .where('id', uuid)
      for (const action of ['enroll', 'unenroll', 'summary'] as const) {
        router
          .post(`/outreach/checkins/:id/${action}`, [CoachController, action])
          .as(`outreach.checkins.${action}`)
          .where('id', uuid)
      }
      router.get('/outreach/pulse', [RelationalPulseController, 'show']).as('outreach.pulse')
      router
        .post('/outreach/pulse', [RelationalPulseController, 'update'])
        .as('outreach.pulse.update')
      router
        .post('/outreach/pulse/approve-all', [RelationalPulseController, 'approveAll'])
        .as('outreach.pulse.approve_all')
      router
        .post('/outreach/pulse/drafts/:id/approve', [RelationalPulseController, 'approve'])
        .as('outreach.pulse.approve')
        .where('id', uuid)
      router
        .post('/outreach/pulse/drafts/:id/skip', [RelationalPulseController, 'skip'])
        .as('outreach.pulse.skip')
        .where('id', uuid)
      router.get('/renewals', [RenewalsController, 'index']).as('renewals')
      router.post('/renewals/status', [RenewalsController, 'update']).as('renewals.status')
    })
    .use([middleware.auth(), middleware.workspace()])
})
