/*
| The task inbox (/t/<slug>/tasks): the list with its filters, a task's
| page, and the forms that approve, edit and approve, reject, reassign and
| comment. Every form posts and redirects (no JavaScript needed); htmx
| boosts them and refreshes the list.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const TasksController = () => import('./controllers/tasks_controller.js')
const QuotesController = () => import('./controllers/quotes_controller.js')

addWorkspaceNavItem({
  key: 'tasks',
  path: '/tasks',
  label: 'tasks.nav',
  permission: 'tasks.view',
  order: 25,
  countPath: '/tasks/count',
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router.get('/tasks', [TasksController, 'index']).as('tasks')
      router.get('/tasks/count', [TasksController, 'count']).as('tasks.count')
      router.get('/tasks/events', [TasksController, 'events']).as('tasks.events')
      router.get('/tasks/:id', [TasksController, 'show']).as('tasks.show').where('id', uuid)
      router
        .post('/tasks/:id/approve', [TasksController, 'approve'])
        .as('tasks.approve')
        .where('id', uuid)
      router
        .post('/tasks/:id/reject', [TasksController, 'reject'])
        .as('tasks.reject')
        .where('id', uuid)
      router
        .post('/tasks/:id/reassign', [TasksController, 'reassign'])
        .as('tasks.reassign')
        .where('id', uuid)
      router.get('/tasks/quotes/new', [QuotesController, 'create']).as('tasks.quotes.create')
      router.post('/tasks/quotes', [QuotesController, 'store']).as('tasks.quotes.store')
      router
        .post('/tasks/quotes/settings', [QuotesController, 'settings'])
        .as('tasks.quotes.settings')
      router
        .get('/tasks/quotes/runs/:id', [QuotesController, 'run'])
        .as('tasks.quotes.run')
        .where('id', uuid)
      router
        .get('/tasks/documents/:id', [QuotesController, 'document'])
        .as('tasks.documents.show')
        .where('id', uuid)
      router
        .get('/tasks/documents/:id/pages/:page', [QuotesController, 'documentPage'])
        .as('tasks.documents.page')
        .where('id', uuid)
        .where('page', /^[1-9]\d{0,2}$/)
      router
        .post('/tasks/:id/comment', [TasksController, 'comment'])
        .as('tasks.comment')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})
