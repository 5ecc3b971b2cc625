/*
| The files of messages (photos, voice notes, documents), served from the
| tenant's storage to its members only.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { tenantRoutes } from '#modules/tenancy/index'

const MediaController = () => import('./controllers/media_controller.js')

tenantRoutes(() => {
  router
    .get('/media/:messageId', [MediaController, 'show'])
    .as('media.show')
    .where('messageId', router.matchers.uuid())
    .use([middleware.auth(), middleware.workspace()])
})
