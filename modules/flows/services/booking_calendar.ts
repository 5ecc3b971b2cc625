import { createHmac, timingSafeEqual } from 'node:crypto'
import env from '#start/env'
import { clock } from '#app/clock'
import type { TenantContext } from '#modules/tenancy/index'
import { buildIcs, bookingUid, type IcsEvent } from './booking_ics.js'
import {
  feedBookings,
  findBooking,
  listBookingServices,
  memberOfFeedToken,
  type Booking,
} from './booking_service.js'

/*
| Calendars out of the booker: a member's private feed (every booking of
| theirs, found by a secret token kept hashed), and one booking's .ics for
| its customer, at a link signed with APP_KEY so it needs no login and
| cannot be guessed from the booking id.
*/

function eventOf(
  tenant: TenantContext,
  booking: Booking,
  serviceName: string,
  description?: string
): IcsEvent {
  return {
    uid: bookingUid(tenant.slug, booking.id),
    start: booking.startsAt,
    end: booking.endsAt,
    summary: serviceName,
    description,
    status: booking.status,
    sequence: booking.revision,
    stamp: new Date(clock.millis()),
  }
}

/** The member's feed as text/calendar, or null for a token that is not (or no longer) theirs. */
export async function memberFeed(tenant: TenantContext, token: string) {
  const memberId = await memberOfFeedToken(tenant, token)
  if (!memberId) return null
  const [bookings, services] = await Promise.all([
    feedBookings(tenant, memberId),
    listBookingServices(tenant),
  ])
  const names = new Map(services.map((s) => [s.id, s.name]))
  return buildIcs(
    bookings.map((b) => eventOf(tenant, b, names.get(b.serviceId) ?? 'Booking')),
    { name: 'FloMastr bookings' }
  )
}

export function bookingIcsSignature(tenant: TenantContext, bookingId: string) {
  return createHmac('sha256', env.get('APP_KEY'))
    .update(`booking-ics:${tenant.slug}:${bookingId}`)
    .digest('base64url')
}

/** The path (under the workspace) of a booking's .ics for its customer. */
export function bookingIcsPath(tenant: TenantContext, bookingId: string) {
  return `/t/${tenant.slug}/bookings/${bookingId}/invite.ics?sig=${bookingIcsSignature(tenant, bookingId)}`
}

/** One booking's .ics, or null when the signature is wrong or the booking gone. */
export async function customerIcs(
  tenant: TenantContext,
  bookingId: string,
  signature: string,
  serviceName?: string
) {
  const expected = Buffer.from(bookingIcsSignature(tenant, bookingId))
  const given = Buffer.from(signature)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null
  const booking = await findBooking(tenant, bookingId)
  if (!booking) return null
  let name = serviceName
  if (!name) {
    const services = await listBookingServices(tenant)
    name = services.find((s) => s.id === booking.serviceId)?.name ?? 'Booking'
  }
  return buildIcs([eventOf(tenant, booking, name)])
}
