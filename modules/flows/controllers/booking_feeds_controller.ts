import type { HttpContext } from '@adonisjs/core/http'
import { customerIcs, memberFeed } from '../services/booking_calendar.js'

/**
 * Calendar files read by calendar apps and WhatsApp, with no session: a
 * member's private feed (its secret token in the path) and one booking's
 * invitation for its customer (signed link). A wrong token is a plain 404.
 */
export default class BookingFeedsController {
  async member(ctx: HttpContext) {
    const file = String(ctx.params.file ?? '')
    if (!file.endsWith('.ics')) return ctx.response.status(404).send('Not found')
    const body = await memberFeed(ctx.tenant, file.slice(0, -4))
    if (body === null) return ctx.response.status(404).send('Not found')
    return send(ctx, body, 'bookings.ics')
  }

  async invite(ctx: HttpContext) {
    const body = await customerIcs(
      ctx.tenant,
      String(ctx.params.id),
      String(ctx.request.input('sig') ?? '')
    )
    if (body === null) return ctx.response.status(404).send('Not found')
    return send(ctx, body, 'booking.ics')
  }
}

function send(ctx: HttpContext, body: string, filename: string) {
  ctx.response.header('Content-Type', 'text/calendar; charset=utf-8')
  ctx.response.header('Content-Disposition', `inline; filename="${filename}"`)
  ctx.response.header('Cache-Control', 'private, no-store')
  return ctx.response.send(body)
}
