import { pageOfTemplates } from '#modules/channels/index'
import type { HttpContext } from '@adonisjs/core/http'
import vine from '@vinejs/vine'
import {
  apiQuery,
  pageBody,
  pageRequestFrom,
  sendJson,
  validateApiQuery,
} from '#app/http/api/index'
import { presentTemplate } from '../../services/api_presenters.js'

/** WhatsApp's usual statuses (it may add others; any A-Z_ word filters). */
export const TEMPLATE_STATUSES = ['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED'] as const

/** `status` is WhatsApp's, in any case; `language` a code like en_US. */
const templateListQuery = apiQuery({
  status: vine
    .string()
    .trim()
    .regex(/^[A-Za-z_]{1,20}$/)
    .transform((value) => value.toUpperCase())
    .optional(),
  language: vine.string().trim().maxLength(20).optional(),
  channel_id: vine.string().trim().uuid().optional(),
})

/**
 * GET /api/v1/templates: the WhatsApp templates of the tenant's numbers as
 * of the last sync, oldest first; `status` (WhatsApp's, any case),
 * `language` and `channel_id` filter. An automation picks an APPROVED one
 * and sends it with POST /messages.
 */
export default class TemplatesApiController {
  async index(ctx: HttpContext) {
    const page = pageRequestFrom(ctx.request.qs())
    const query = await validateApiQuery(ctx, templateListQuery)
    const status = query.status ?? null
    const language = query.language ?? null
    const channelId = query.channel_id ?? null
    const { rows, nextCursor } = await pageOfTemplates(
      ctx.tenant,
      { status, language, channelId },
      page
    )
    return sendJson(ctx, 200, pageBody(rows.map(presentTemplate), nextCursor))
  }
}
