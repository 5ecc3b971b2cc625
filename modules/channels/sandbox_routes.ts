/*
| The sandbox phone: play a customer writing to the business, through the
| same webhook pipeline as WhatsApp, and see what the business answers.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addGettingStartedStep, addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'
import { sandboxTried } from './services/sandbox_service.js'

const SandboxController = () => import('./controllers/sandbox_controller.js')

// The first step of getting started: see the whole loop without a real number.
addGettingStartedStep({
  key: 'sandbox',
  order: 10,
  path: '/sandbox',
  permission: 'sandbox.use',
  labels: 'sandbox.getting_started',
  done: sandboxTried,
})

addWorkspaceNavItem({
  key: 'sandbox',
  path: '/sandbox',
  label: 'sandbox.nav',
  permission: 'sandbox.use',
  order: 30,
})

tenantRoutes(() => {
  router
    .group(() => {
      router.get('/sandbox', [SandboxController, 'show']).as('sandbox')
      router.post('/sandbox/messages', [SandboxController, 'send']).as('sandbox.messages')
      router.post('/sandbox/read', [SandboxController, 'read']).as('sandbox.read')
    })
    .use([middleware.auth(), middleware.workspace()])
})
