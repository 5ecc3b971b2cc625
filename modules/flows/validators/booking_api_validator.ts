import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { DateTime } from 'luxon'
import { apiBody, apiQuery } from '#app/http/api/index'

/*
| Requests of the session booker's API. Instants are ISO 8601 with an
| offset (or Z); the customer's zone is an IANA name.
*/

/** An instant the calendar has: 30 February or 25:61 has the right shape and is refused. */
const realInstant = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string' || !field.isValid) return
  if (!DateTime.fromISO(value, { setZone: true }).isValid) {
    field.report('Give a real date and time, e.g. 2026-01-31T09:00:00Z', 'instant', field)
  }
})

const instant = () =>
  vine
    .string()
    .trim()
    .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/)
    .use(realInstant())

export const createBookingBody = apiBody({
  service_id: vine.string().uuid(),
  contact_id: vine.string().uuid(),
  start: instant(),
  member_id: vine.string().uuid().optional(),
})

export const bookingListQuery = apiQuery({
  from: instant().optional(),
  to: instant().optional(),
  member_id: vine.string().uuid().optional(),
  contact_id: vine.string().uuid().optional(),
  status: vine.enum(['confirmed', 'cancelled']).optional(),
})

export const slotsQuery = apiQuery({
  service_id: vine.string().uuid(),
  from: instant(),
  to: instant(),
  time_zone: vine.string().trim().maxLength(64).optional(),
  member_id: vine.string().uuid().optional(),
})
