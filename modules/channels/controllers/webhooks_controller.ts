import type { HttpContext } from '@adonisjs/core/http'
import { isKnownVerifyToken } from '../services/webhook_intake.js'

/** Meta sends a decimal integer; 64 digits is far more than it ever uses. */
const NUMERIC_CHALLENGE = /^[0-9]{1,64}$/

/**
 * WhatsApp Cloud API webhook verification. The POSTs themselves are served by
 * services/webhook_lane.ts.
 */
export default class WebhooksController {
  /**
   * Meta's subscription handshake: echo hub.challenge for a verify token we
   * issued. Meta's challenge is a number; anything else is refused rather
   * than echoed, because a same-origin URL that answers with text of the
   * caller's choosing is a script the page's CSP ('self') would load.
   */
  async verify({ request, response }: HttpContext) {
    const mode = request.input('hub.mode')
    const token = request.input('hub.verify_token')
    const challenge = request.input('hub.challenge')
    if (typeof challenge !== 'string' || !NUMERIC_CHALLENGE.test(challenge)) {
      return response.status(400).json({
        error: { code: 'invalid_challenge', message: 'hub.challenge must be a number' },
      })
    }
    if (mode === 'subscribe' && (await isKnownVerifyToken(token))) {
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
