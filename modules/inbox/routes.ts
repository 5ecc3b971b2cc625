/*
| The inbox module's pages: the team inbox (its live stream, the
| conversation list, a conversation and what members do to it), the
| composer and canned responses, contacts, and a channel's round-robin
| assignment settings.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const LiveController = () => import('./controllers/live_controller.js')
const AssignmentController = () => import('./controllers/assignment_controller.js')
const InboxController = () => import('./controllers/inbox_controller.js')
const ComposerController = () => import('./controllers/composer_controller.js')
const CannedResponsesController = () => import('./controllers/canned_responses_controller.js')
const ContactsController = () => import('./controllers/contacts_controller.js')
const ContactFieldsController = () => import('./controllers/contact_fields_controller.js')
const ContactImportsController = () => import('./controllers/contact_imports_controller.js')

tenantRoutes(() => {
  router
    .get('/inbox/events', [LiveController, 'inbox'])
    .as('inbox.events')
    .use([middleware.auth(), middleware.workspace()])
})

tenantRoutes(() => {
  router
    .post('/channels/:id/assignment', [AssignmentController, 'update'])
    .as('channels.assignment')
    .use([middleware.auth(), middleware.workspace()])
})

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

addWorkspaceNavItem({
  key: 'contacts',
  path: '/contacts',
  label: 'contacts.nav',
  permission: 'contacts.view',
  order: 40,
})

tenantRoutes(() => {
  router
    .group(() => {
      router.get('/contacts', [ContactsController, 'index']).as('contacts')
      router.get('/contacts/new', [ContactsController, 'create']).as('contacts.create')
      // Fixed paths before /contacts/:id.
      router.get('/contacts/import', [ContactImportsController, 'create']).as('contacts.import')
      router
        .post('/contacts/import', [ContactImportsController, 'store'])
        .as('contacts.import.store')
      router.get('/contacts/export', [ContactImportsController, 'export']).as('contacts.export')
      const uuid = router.matchers.uuid()
      router
        .get('/contacts/imports/:id', [ContactImportsController, 'show'])
        .as('contacts.imports.show')
        .where('id', uuid)
      router
        .post('/contacts/imports/:id', [ContactImportsController, 'start'])
        .as('contacts.imports.start')
        .where('id', uuid)
      router
        .get('/contacts/imports/:id/errors', [ContactImportsController, 'errors'])
        .as('contacts.imports.errors')
        .where('id', uuid)
      router.post('/contacts', [ContactsController, 'store']).as('contacts.store')
      router.get('/contacts/:id', [ContactsController, 'show']).as('contacts.show')
      router.post('/contacts/:id', [ContactsController, 'update']).as('contacts.update')
      router.post('/contacts/:id/delete', [ContactsController, 'destroy']).as('contacts.destroy')
    })
    .use([middleware.auth(), middleware.workspace()])
})

addWorkspaceNavItem({
  key: 'contact_fields',
  path: '/settings/contact-fields',
  label: 'contacts.custom_fields.nav',
  permission: 'inbox.settings',
  order: 86,
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router
        .get('/settings/contact-fields', [ContactFieldsController, 'index'])
        .as('contact_fields')
      router
        .post('/settings/contact-fields', [ContactFieldsController, 'store'])
        .as('contact_fields.store')
      router
        .get('/settings/contact-fields/:id', [ContactFieldsController, 'edit'])
        .as('contact_fields.edit')
        .where('id', uuid)
      router
        .post('/settings/contact-fields/:id', [ContactFieldsController, 'update'])
        .as('contact_fields.update')
        .where('id', uuid)
      router
        .post('/settings/contact-fields/:id/delete', [ContactFieldsController, 'destroy'])
        .as('contact_fields.destroy')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})
