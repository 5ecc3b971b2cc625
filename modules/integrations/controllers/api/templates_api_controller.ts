import { pageOfTemplates } from '#modules/channels/index'
import type { HttpContext } from '@adonisjs/core/http'
import { ApiError, pageBody, pageRequestFrom, sendJson } from '#app/http/api/index'
import { presentTemplate } from '../../services/api_presenters.js'

/** WhatsApp's usual statuses (it may add others; any A-Z_ word filters). */
export const TEMPLATE_STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED'] as const

/**
 * GET /api/v1/templates: the WhatsApp templates of the tenant's numbers as
 * of the last sync, oldest first; `status` (WhatsApp's, any case),
 * `language` and `channel_id` filter. An automation picks an APPROVED one
 * and sends it with POST /messages.
 */
export default class TemplatesApiController {
  async index(ctx: HttpContext) {
    const qs = ctx.request.qs()
    const page = pageRequestFrom(qs)
    const fields: Record<string, string[]> = {}
    const status = qs.status ? String(qs.status).toUpperCase() : null
    if (status && !/^[A-Z_]{1,20}$/.test(status)) {
      fields.status = [`A WhatsApp status such as ${TEMPLATE_STATUSES.join(', ')}`]
    }
    const channelId = qs.channel_id ? String(qs.channel_id) : null
    if (channelId && !/^[0-9a-f-]{36}$/i.test(channelId)) fields.channel_id = ['An id (UUID)']
    if (Object.keys(fields).length) {
      throw new ApiError(422, 'validation_failed', 'The request is invalid', fields)
    }
    const language = qs.language ? String(qs.language) : null
    const { rows, nextCursor } = await pageOfTemplates(
      ctx.tenant,
      { status, language, channelId },
      page
    )
    return sendJson(ctx, 200, pageBody(rows.map(presentTemplate), nextCursor))
  }
}
