import type { HttpContext } from '@adonisjs/core/http'
import { isKnownVerifyToken } from '../services/webhook_intake.js'

/**
 * WhatsApp Cloud API webhook verification. The POSTs themselves are served by
 * services/webhook_lane.ts.
 */
export default class WebhooksController {
  /** Meta's subscription handshake: echo hub.challenge for a verify token we issued. */
  async verify({ request, response }: HttpContext) {
    const mode = request.input('hub.mode')
    const token = request.input('hub.verify_token')
    const challenge = request.input('hub.challenge')
    if (
      mode === 'subscribe' &&
      typeof challenge === 'string' &&
      (await isKnownVerifyToken(token))
    ) {
      return response
        .status(200)
        .header('Content-Type', 'text/plain; charset=utf-8')
        .send(challenge)
    }
    return response.status(403).json({
      error: { code: 'verification_failed', message: 'Unknown verify token or mode' },
    })
  }
}
