/*
| Round-robin assignment settings of a channel.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { tenantRoutes } from '#modules/tenancy/index'

const AssignmentController = () => import('./controllers/assignment_controller.js')

tenantRoutes(() => {
  router
    .post('/channels/:id/assignment', [AssignmentController, 'update'])
    .as('channels.assignment')
    .use([middleware.auth(), middleware.workspace()])
})
