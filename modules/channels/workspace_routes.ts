/*
| The workspace pages of the channels module: channels (owners and
| admins). Webhooks live in routes.ts.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addGettingStartedStep, addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'
import { hasCustomerChannel } from './services/channel_service.js'

const ChannelsController = () => import('./controllers/channels_controller.js')

addWorkspaceNavItem({
  key: 'channels',
  path: '/channels',
  label: 'channels.nav',
  permission: 'channels.view',
  order: 70,
})

addGettingStartedStep({
  key: 'connect',
  order: 40,
  path: '/channels',
  permission: 'channels.manage',
  labels: 'channels.getting_started',
  done: (tenant) => hasCustomerChannel(tenant.id),
})

tenantRoutes(() => {
  router
    .group(() => {
      router.get('/channels', [ChannelsController, 'index']).as('channels')
      router
        .post('/channels/whatsapp', [ChannelsController, 'storeWhatsApp'])
        .as('channels.whatsapp.store')
      router
        .post('/channels/sandbox', [ChannelsController, 'storeSandbox'])
        .as('channels.sandbox.store')
      router
        .post('/channels/webchat', [ChannelsController, 'storeWebchat'])
        .as('channels.webchat.store')
      router.get('/channels/:id', [ChannelsController, 'show']).as('channels.show')
      router.post('/channels/:id', [ChannelsController, 'update']).as('channels.update')
      router
        .post('/channels/:id/secrets', [ChannelsController, 'rotateSecrets'])
        .as('channels.secrets')
      router.post('/channels/:id/status', [ChannelsController, 'status']).as('channels.status')
      router.post('/channels/:id/delete', [ChannelsController, 'destroy']).as('channels.destroy')
    })
    .use([middleware.auth(), middleware.workspace()])
})
