/*
| The web chat widget's routes. Machine routes (see app/http/machine_routes.ts):
| no session, no shield, no CSRF; the frame sets its own security headers and
| a visitor is known by the token the widget sends.
*/
import router from '@adonisjs/core/services/router'

const WebchatController = () => import('./controllers/webchat_controller.js')

router
  .group(() => {
    router.get('/widget.js', [WebchatController, 'widget']).as('widget')
    router.get('/:channelId/frame', [WebchatController, 'frame']).as('frame')
    router.get('/:channelId/theme.css', [WebchatController, 'theme']).as('theme')
    router.get('/:channelId/logo', [WebchatController, 'logo']).as('logo')
    router.post('/:channelId/sessions', [WebchatController, 'startSession']).as('sessions')
    router.get('/:channelId/messages', [WebchatController, 'messages']).as('messages')
    router.post('/:channelId/messages', [WebchatController, 'storeMessage']).as('messages.store')
    router.post('/:channelId/receipts', [WebchatController, 'receipts']).as('receipts')
    router
      .post('/:channelId/stream-tickets', [WebchatController, 'streamTicket'])
      .as('stream_tickets')
    router.get('/:channelId/stream', [WebchatController, 'stream']).as('stream')
  })
  .prefix('/webchat')
  .as('webchat')
