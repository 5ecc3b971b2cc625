/*
| The workspace's Datasets section: the list, an upload and its column
| settings, a dataset's page (import progress, natural-language search with
| chips, the row browser), editing a row, and deleting a dataset.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const DatasetsController = () => import('./controllers/datasets_controller.js')
const ComposerInsertController = () => import('./controllers/composer_insert_controller.js')
const ConnectorsController = () => import('./controllers/connectors_controller.js')

addWorkspaceNavItem({
  key: 'datasets',
  path: '/datasets',
  label: 'datasets.nav',
  permission: 'datasets.view',
  order: 55,
})

addWorkspaceNavItem({
  key: 'connectors',
  path: '/connectors',
  label: 'connectors.nav',
  permission: 'datasets.view',
  order: 56,
})

tenantRoutes(() => {
  router
    .group(() => {
      const uuid = router.matchers.uuid()
      router.get('/datasets', [DatasetsController, 'index']).as('datasets')
      router.get('/datasets/new', [DatasetsController, 'create']).as('datasets.create')
      router.get('/datasets/insert', [ComposerInsertController, 'show']).as('datasets.insert')
      router
        .post('/datasets/insert', [ComposerInsertController, 'insert'])
        .as('datasets.insert.store')
      router.post('/datasets', [DatasetsController, 'store']).as('datasets.store')
      router
        .get('/datasets/:id', [DatasetsController, 'show'])
        .as('datasets.show')
        .where('id', uuid)
      router
        .post('/datasets/:id/confirm', [DatasetsController, 'confirm'])
        .as('datasets.confirm')
        .where('id', uuid)
      router
        .post('/datasets/:id/settings', [DatasetsController, 'settings'])
        .as('datasets.settings')
        .where('id', uuid)
      router
        .get('/datasets/:id/rows/:rowId', [DatasetsController, 'editRow'])
        .as('datasets.rows.edit')
        .where('id', uuid)
        .where('rowId', router.matchers.number())
      router
        .post('/datasets/:id/rows/:rowId', [DatasetsController, 'updateRow'])
        .as('datasets.rows.update')
        .where('id', uuid)
        .where('rowId', router.matchers.number())
      router
        .post('/datasets/:id/refresh', [DatasetsController, 'refresh'])
        .as('datasets.refresh')
        .where('id', uuid)
      router
        .post('/datasets/:id/delete', [DatasetsController, 'destroy'])
        .as('datasets.destroy')
        .where('id', uuid)

      // Live API connectors.
      router.get('/connectors', [ConnectorsController, 'index']).as('connectors')
      router.get('/connectors/new', [ConnectorsController, 'create']).as('connectors.create')
      router.post('/connectors', [ConnectorsController, 'store']).as('connectors.store')
      router
        .get('/connectors/:id', [ConnectorsController, 'show'])
        .as('connectors.show')
        .where('id', uuid)
      router
        .post('/connectors/:id', [ConnectorsController, 'update'])
        .as('connectors.update')
        .where('id', uuid)
      router
        .post('/connectors/:id/test', [ConnectorsController, 'test'])
        .as('connectors.test')
        .where('id', uuid)
      router
        .post('/connectors/:id/delete', [ConnectorsController, 'destroy'])
        .as('connectors.destroy')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])
})
