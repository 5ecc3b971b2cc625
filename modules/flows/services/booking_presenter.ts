import { DateTime } from 'luxon'
import type { Booking, BookingServiceRecord } from './booking_service.js'
import type { Slot } from './booking_slots.js'

/* The session booker's records as the API and webhooks show them. */

export function presentBooking(booking: Booking) {
  return {
    id: booking.id,
    service_id: booking.serviceId,
    member_id: booking.memberId,
    contact_id: booking.contactId,
    start: booking.startsAt.toISOString(),
    end: booking.endsAt.toISOString(),
    time_zone: booking.timeZone,
    local_start: DateTime.fromJSDate(booking.startsAt, { zone: booking.timeZone }).toISO({
      suppressMilliseconds: true,
    }),
    status: booking.status,
    cancelled_by: booking.cancelledBy,
    cancelled_at: booking.cancelledAt?.toISOString() ?? null,
    created_at: new Date(booking.createdAt).toISOString(),
    updated_at: new Date(booking.updatedAt).toISOString(),
  }
}

export function presentSlot(slot: Slot) {
  return {
    start: slot.start.toISOString(),
    end: slot.end.toISOString(),
    local_start: slot.localStart,
    member_ids: slot.memberIds,
  }
}

export function presentBookingService(service: BookingServiceRecord) {
  return {
    id: service.id,
    name: service.name,
    duration_minutes: service.durationMinutes,
    buffer_minutes: service.bufferMinutes,
    price_text: service.priceText,
    active: service.active,
    member_ids: service.memberIds,
  }
}

export const BOOKING_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    service_id: { type: 'string', format: 'uuid' },
    member_id: { type: 'string', format: 'uuid', description: 'The team member (user id)' },
    contact_id: { type: 'string', format: 'uuid' },
    start: { type: 'string', format: 'date-time' },
    end: { type: 'string', format: 'date-time' },
    time_zone: { type: 'string', description: 'The customer’s zone when booked' },
    local_start: {
      type: 'string',
      description: 'The start in the customer’s zone, with its offset',
    },
    status: { enum: ['confirmed', 'cancelled'] },
    cancelled_by: { type: ['string', 'null'], enum: ['customer', 'team', 'api', null] },
    cancelled_at: { type: ['string', 'null'], format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const
