import type { HttpContext } from '@adonisjs/core/http'
import { can } from '#modules/identity/index'
import { inboxTopic, streamLive } from '../services/live_updates.js'

/**
 * The workspace inbox's live stream: a notice for every new message, status
 * tick, assignment or other change, so open pages refresh just the part
 * that changed (see resources/public/assets/live.js).
 */
export default class LiveController {
  async inbox(ctx: HttpContext) {
    if (!can(ctx.access, 'inbox.view')) {
      return ctx.response.forbidden({
        error: { code: 'forbidden', message: 'You cannot see this inbox' },
      })
    }
    await streamLive(ctx, [inboxTopic(ctx.tenant.id)], { event: 'inbox' })
  }
}
