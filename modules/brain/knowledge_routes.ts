/*
| The workspace's Knowledge section: the sources a business teaches its
| assistant, each source's page, and the search and ask page.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addGettingStartedStep, addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'
import { listSources } from './services/source_service.js'

const KnowledgeController = () => import('./controllers/knowledge_controller.js')

addWorkspaceNavItem({
  key: 'knowledge',
  path: '/knowledge',
  label: 'knowledge.nav',
  permission: 'knowledge.view',
  order: 50,
})

addGettingStartedStep({
  key: 'knowledge',
  order: 20,
  path: '/knowledge/new',
  permission: 'knowledge.manage',
  labels: 'knowledge.getting_started',
  done: async (tenant) => {
    const { data } = await listSources(tenant, { limit: 1 })
    return data.length > 0
  },
})

tenantRoutes(() => {
  router
    .group(() => {
      router.get('/knowledge', [KnowledgeController, 'index']).as('knowledge')
      router.get('/knowledge/new', [KnowledgeController, 'create']).as('knowledge.create')
      router.get('/knowledge/search', [KnowledgeController, 'search']).as('knowledge.search')
      router.post('/knowledge/files', [KnowledgeController, 'storeFiles']).as('knowledge.files')
      router.post('/knowledge/url', [KnowledgeController, 'storeUrl']).as('knowledge.url')
      router.post('/knowledge/text', [KnowledgeController, 'storeText']).as('knowledge.text')
      router.post('/knowledge/faq', [KnowledgeController, 'storeFaq']).as('knowledge.faq')
      // Source ids are uuids: /knowledge/new and /knowledge/search never match them.
      const uuid = router.matchers.uuid()
      router
        .get('/knowledge/:id', [KnowledgeController, 'show'])
        .as('knowledge.show')
        .where('id', uuid)
      router
        .get('/knowledge/:id/file', [KnowledgeController, 'download'])
        .as('knowledge.download')
        .where('id', uuid)
      router
        .post('/knowledge/:id', [KnowledgeController, 'update'])
        .as('knowledge.update')
        .where('id', uuid)
      router
        .post('/knowledge/:id/file', [KnowledgeController, 'replace'])
        .as('knowledge.replace')
        .where('id', uuid)
      router
        .post('/knowledge/:id/refetch', [KnowledgeController, 'refetch'])
        .as('knowledge.refetch')
        .where('id', uuid)
      router
        .post('/knowledge/:id/delete', [KnowledgeController, 'destroy'])
        .as('knowledge.destroy')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})
