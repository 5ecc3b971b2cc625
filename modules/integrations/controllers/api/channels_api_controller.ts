import type { HttpContext } from '@adonisjs/core/http'
import { channelsOf } from '#modules/channels/index'
import { keysetPage, pageBody, pageRequestFrom, sendJson } from '#app/http/api/index'
import { presentChannel } from '../../services/api_presenters.js'

/** GET /api/v1/channels: the tenant's channels, oldest first (no secrets). */
export default class ChannelsApiController {
  async index(ctx: HttpContext) {
    const page = pageRequestFrom(ctx.request.qs())
    const { rows, nextCursor } = await keysetPage(channelsOf(ctx.tenant.id), {
      column: 'created_at',
      direction: 'asc',
      page,
    })
    return sendJson(ctx, 200, pageBody(rows.map(presentChannel), nextCursor))
  }
}
