import type { HttpContext } from '@adonisjs/core/http'
import {
  ApiError,
  encodeCursor,
  pageRequestFrom,
  sendJson,
  validateApiBody,
  validateApiQuery,
} from '#app/http/api/index'
import {
  BookingError,
  bookSlot,
  cancelBooking,
  findBooking,
  findSlots,
  listBookingServices,
  listBookings,
} from '../../services/booking_service.js'
import { validZone } from '../../services/booking_slots.js'
import {
  presentBooking,
  presentBookingService,
  presentSlot,
} from '../../services/booking_presenter.js'
import {
  bookingListQuery,
  createBookingBody,
  slotsQuery,
} from '../../validators/booking_api_validator.js'

/**
 * /api/v1/bookings and /api/v1/booking/*: the session booker for programs
 * (n8n books from a form; a CRM lists the week). Another tenant's booking,
 * service or contact is not found: every query runs in this tenant's schema.
 */
export default class BookingsApiController {
  async index(ctx: HttpContext) {
    const page = pageRequestFrom(ctx.request.qs())
    const query = await validateApiQuery(ctx, bookingListQuery)
    const result = await listBookings(ctx.tenant, {
      from: query.from ? new Date(query.from) : null,
      to: query.to ? new Date(query.to) : null,
      memberId: query.member_id ?? null,
      contactId: query.contact_id ?? null,
      status: query.status ?? null,
      limit: page.limit,
      after: page.after,
    })
    return sendJson(ctx, 200, {
      data: result.bookings.map(presentBooking),
      next_cursor: result.next ? encodeCursor(result.next.key, result.next.id) : null,
    })
  }

  async show(ctx: HttpContext) {
    const booking = await findBooking(ctx.tenant, ctx.params.id)
    if (!booking) throw new ApiError(404, 'not_found', 'No such booking')
    return sendJson(ctx, 200, presentBooking(booking))
  }

  async store(ctx: HttpContext) {
    const data = await validateApiBody(ctx, createBookingBody)
    const booking = await apiCall(() =>
      bookSlot(ctx.tenant, {
        serviceId: data.service_id,
        contactId: data.contact_id,
        start: new Date(data.start),
        memberId: data.member_id ?? null,
        source: 'api',
      })
    )
    ctx.response.header('Location', `/api/v1/bookings/${booking.id}`)
    return sendJson(ctx, 201, presentBooking(booking))
  }

  async cancel(ctx: HttpContext) {
    const booking = await apiCall(() => cancelBooking(ctx.tenant, ctx.params.id, 'api'))
    return sendJson(ctx, 200, presentBooking(booking))
  }

  async slots(ctx: HttpContext) {
    const query = await validateApiQuery(ctx, slotsQuery)
    const timeZone = query.time_zone ?? 'UTC'
    if (validZone(timeZone) !== timeZone) {
      throw new ApiError(422, 'validation_failed', 'The request is invalid', {
        time_zone: ['Not a time zone (use an IANA name such as Europe/London)'],
      })
    }
    const slots = await apiCall(() =>
      findSlots(ctx.tenant, {
        serviceId: query.service_id,
        from: new Date(query.from),
        to: new Date(query.to),
        timeZone,
        memberId: query.member_id ?? null,
      })
    )
    return sendJson(ctx, 200, { time_zone: timeZone, data: slots.map(presentSlot) })
  }

  async services(ctx: HttpContext) {
    const services = await listBookingServices(ctx.tenant)
    return sendJson(ctx, 200, { data: services.map(presentBookingService) })
  }
}

async function apiCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof BookingError) {
      throw new ApiError(error.status, error.code, error.message, error.fields ?? undefined)
    }
    throw error
  }
}
