/*
| Channels' routes: provider webhooks (CSRF is off for /webhooks/*, see
| config/shield.ts; they authenticate by signature). WhatsApp's POSTs are a
| lane of the Node server, answered before AdonisJS routing (see
| services/webhook_lane.ts); Meta's GET handshake is an ordinary route.
*/
import router from '@adonisjs/core/services/router'
import { registerLane } from '#app/http/node_server'
import { whatsappWebhookLane } from './services/webhook_lane.js'

const WebhooksController = () => import('./controllers/webhooks_controller.js')

registerLane(whatsappWebhookLane)

router
  .group(() => {
    router.get('/whatsapp', [WebhooksController, 'verify']).as('verify')
  })
  .prefix('/webhooks')
  .as('webhooks.whatsapp')
