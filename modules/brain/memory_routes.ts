/*
| A contact's conversational memory: read in the inbox's contact panel (and
| on a page of its own), corrected by agents.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { tenantRoutes } from '#modules/tenancy/index'

const MemoryController = () => import('./controllers/memory_controller.js')

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router
        .get('/contacts/:id/memory', [MemoryController, 'show'])
        .as('memory.show')
        .where('id', uuid)
      router
        .post('/contacts/:id/memory/summary', [MemoryController, 'summary'])
        .as('memory.summary')
        .where('id', uuid)
      router
        .post('/contacts/:id/memory/facts', [MemoryController, 'addFact'])
        .as('memory.facts.store')
        .where('id', uuid)
      router
        .post('/contacts/:id/memory/facts/:factId', [MemoryController, 'updateFact'])
        .as('memory.facts.update')
        .where('id', uuid)
        .where('factId', uuid)
      router
        .post('/contacts/:id/memory/facts/:factId/delete', [MemoryController, 'destroyFact'])
        .as('memory.facts.destroy')
        .where('id', uuid)
        .where('factId', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})
