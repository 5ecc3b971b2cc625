/*
| The inbox composer (replies, templates, notes) and canned responses: their
| settings pages and the search behind the composer's `/` menu.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const ComposerController = () => import('./controllers/composer_controller.js')
const CannedResponsesController = () => import('./controllers/canned_responses_controller.js')

addWorkspaceNavItem({
  key: 'canned',
  path: '/settings/canned-responses',
  label: 'composer.canned.nav',
  permission: 'inbox.settings',
  order: 85,
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router
        .post('/inbox/:id/messages', [ComposerController, 'send'])
        .as('inbox.messages')
        .where('id', uuid)
      router
        .get('/inbox/:id/templates', [ComposerController, 'templates'])
        .as('inbox.templates')
        .where('id', uuid)
      router
        .post('/inbox/:id/templates', [ComposerController, 'sendTemplate'])
        .as('inbox.templates.send')
        .where('id', uuid)
      router
        .post('/inbox/:id/notes', [ComposerController, 'note'])
        .as('inbox.notes')
        .where('id', uuid)

      router
        .get('/canned-responses/search', [CannedResponsesController, 'search'])
        .as('canned.search')
      router
        .get('/settings/canned-responses', [CannedResponsesController, 'index'])
        .as('canned.index')
      router
        .post('/settings/canned-responses', [CannedResponsesController, 'store'])
        .as('canned.store')
      router
        .get('/settings/canned-responses/:id', [CannedResponsesController, 'edit'])
        .as('canned.edit')
        .where('id', uuid)
      router
        .post('/settings/canned-responses/:id', [CannedResponsesController, 'update'])
        .as('canned.update')
        .where('id', uuid)
      router
        .post('/settings/canned-responses/:id/delete', [CannedResponsesController, 'destroy'])
        .as('canned.destroy')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})
