/*
| The assistant on channels: its settings per channel (owners and admins)
| and handing an inbox conversation back to it (members who reply).
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addGettingStartedStep, addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'
import { channelsOf } from '#modules/channels/index'
import { assistantEnabledOn } from './services/assistant_settings.js'

const AssistantController = () => import('./controllers/assistant_controller.js')

addWorkspaceNavItem({
  key: 'assistant',
  path: '/assistant',
  label: 'assistant.nav',
  permission: 'assistant.manage',
  order: 55,
})

addGettingStartedStep({
  key: 'assistant',
  order: 30,
  path: '/assistant',
  permission: 'assistant.manage',
  labels: 'assistant.getting_started',
  done: async (tenant) => {
    for (const channel of await channelsOf(tenant.id)) {
      if (await assistantEnabledOn(tenant, channel.id)) return true
    }
    return false
  },
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router.get('/assistant', [AssistantController, 'index']).as('assistant')
      router
        .get('/assistant/:channelId', [AssistantController, 'show'])
        .as('assistant.show')
        .where('channelId', uuid)
      router
        .post('/assistant/:channelId', [AssistantController, 'update'])
        .as('assistant.update')
        .where('channelId', uuid)
      router
        .post('/inbox/:id/assistant', [AssistantController, 'handBack'])
        .as('inbox.assistant')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})
