/*
| The team inbox: the conversation list, a conversation, and what members do
| to it. Its live stream (/inbox/events) lives in live_routes.ts.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const InboxController = () => import('./controllers/inbox_controller.js')

addWorkspaceNavItem({
  key: 'inbox',
  path: '/inbox',
  label: 'inbox.nav',
  permission: 'inbox.view',
  order: 20,
})
// Conversations handed to a person that nobody has taken, counted beside the link.
addWorkspaceNavItem({
  key: 'needs_person',
  path: '/inbox?view=needs_person',
  label: 'inbox.nav_needs_person',
  permission: 'inbox.view',
  order: 21,
  countPath: '/inbox/needs-person/count',
})

tenantRoutes(() => {
  router
    .group(() => {
      router.get('/inbox', [InboxController, 'index']).as('inbox')
      router
        .get('/inbox/needs-person/count', [InboxController, 'needsPerson'])
        .as('inbox.needs_person')
      // Conversation ids are uuids: /inbox/events and other fixed paths never match.
      const id = { id: router.matchers.uuid() }
      router.get('/inbox/:id', [InboxController, 'show']).as('inbox.show').where('id', id.id)
      for (const action of [
        'assign',
        'resolve',
        'reopen',
        'pending',
        'snooze',
        'labels',
        'priority',
      ] as const) {
        router
          .post(`/inbox/:id/${action}`, [InboxController, action])
          .as(`inbox.${action}`)
          .where('id', id.id)
      }
    })
    .use([middleware.auth(), middleware.workspace()])
})
