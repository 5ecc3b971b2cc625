/*
| The OpenAPI document and the workspace's API reference. The document sits
| under /api/v1 but outside apiV1(): it is public (it describes the API and
| opens nothing), so n8n, Postman or Swagger UI can read it with no key.
| Its route name, api.v1.openapi, marks it as the document itself, not an
| operation the document must describe.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { tenantRoutes } from '#modules/tenancy/index'
import { DOCUMENT_ROUTE_NAME } from './openapi/document.js'

const ApiReferenceController = () => import('./controllers/api_reference_controller.js')

router.get('/api/v1/openapi.json', [ApiReferenceController, 'document']).as(DOCUMENT_ROUTE_NAME)

tenantRoutes(() => {
  router
    .get('/settings/api-reference', [ApiReferenceController, 'show'])
    .use([middleware.auth(), middleware.workspace()])
    .as('api_reference')
})
