/*
| Channels' routes: provider webhooks (CSRF is off for /webhooks/*, see
| config/shield.ts; they authenticate by signature).
*/
import router from '@adonisjs/core/services/router'

const WebhooksController = () => import('./controllers/webhooks_controller.js')

router
  .group(() => {
    router.get('/whatsapp', [WebhooksController, 'verify']).as('verify')
    router.post('/whatsapp', [WebhooksController, 'receive']).as('receive')
  })
  .prefix('/webhooks')
  .as('webhooks.whatsapp')
