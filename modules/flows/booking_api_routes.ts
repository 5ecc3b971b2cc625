/*
| The session booker's REST API: bookings a page at a time, booking and
| cancelling, free slots of a service and the services themselves. Each
| route is documented beside it for the OpenAPI reference.
*/
import router from '@adonisjs/core/services/router'
import { describeApiTag, documentApi, documentSchema } from '#app/http/api/index'
import { apiScope, apiV1 } from '#app/http/api/routes'
import { createBookingBody } from './validators/booking_api_validator.js'
import { BOOKING_SCHEMA } from './services/booking_presenter.js'
import { HOLD_MINUTES, MAX_SLOT_RANGE_DAYS } from './services/booking_service.js'

const BookingsApiController = () => import('./controllers/api/bookings_api_controller.js')

apiV1(() => {
  const uuid = router.matchers.uuid()
  router
    .get('/bookings', [BookingsApiController, 'index'])
    .use(apiScope('bookings:read'))
    .as('bookings.index')
  router
    .post('/bookings', [BookingsApiController, 'store'])
    .use(apiScope('bookings:write'))
    .as('bookings.store')
  router
    .get('/bookings/:id', [BookingsApiController, 'show'])
    .where('id', uuid)
    .use(apiScope('bookings:read'))
    .as('bookings.show')
  router
    .post('/bookings/:id/cancel', [BookingsApiController, 'cancel'])
    .where('id', uuid)
    .use(apiScope('bookings:write'))
    .as('bookings.cancel')
  router
    .get('/booking/slots', [BookingsApiController, 'slots'])
    .use(apiScope('bookings:read'))
    .as('bookings.slots')
  router
    .get('/booking/services', [BookingsApiController, 'services'])
    .use(apiScope('bookings:read'))
    .as('bookings.services')
})

documentSchema('Booking', BOOKING_SCHEMA)

describeApiTag(
  'Bookings',
  'The session booker: services, free slots in the customer’s zone, bookings and cancellations'
)

const bookingId = {
  id: { type: 'string', format: 'uuid', description: 'The booking', required: true },
} as const

documentApi('bookings.index', {
  summary: 'List bookings',
  description: 'By start time, a page at a time; `from` and `to` bound the start.',
  tag: 'Bookings',
  scope: 'bookings:read',
  query: {
    from: { type: 'string', format: 'date-time', description: 'Starts at or after' },
    to: { type: 'string', format: 'date-time', description: 'Starts before' },
    member_id: { type: 'string', format: 'uuid', description: 'Only this team member’s' },
    contact_id: { type: 'string', format: 'uuid', description: 'Only this contact’s' },
    status: { type: 'string', enum: ['confirmed', 'cancelled'], description: 'Only this status' },
  },
  responses: { 200: { description: 'A page of bookings', schema: 'Booking', page: true } },
})

documentApi('bookings.show', {
  summary: 'Read a booking',
  tag: 'Bookings',
  scope: 'bookings:read',
  params: bookingId,
  responses: { 200: { description: 'The booking', schema: 'Booking' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('bookings.store', {
  summary: 'Book a slot',
  description:
    '`start` must be a slot the service offers (see GET /booking/slots). Without `member_id` ' +
    'the first member free then is booked. A member is never booked twice: when another ' +
    'booking took the time first the answer is 409 `slot_taken`.',
  tag: 'Bookings',
  scope: 'bookings:write',
  body: createBookingBody,
  responses: { 201: { description: 'The booking', schema: 'Booking' } },
  errors: [
    { status: 404, code: 'not_found', description: 'No such service or contact' },
    { status: 409, code: 'slot_taken', description: 'Another booking or a hold has the time' },
    { status: 409, code: 'slot_unavailable', description: 'The service does not offer that time' },
  ],
})

documentApi('bookings.cancel', {
  summary: 'Cancel a booking',
  description:
    'Frees the time and cancels its reminders. Cancelling twice answers the booking as it is.',
  tag: 'Bookings',
  scope: 'bookings:write',
  params: bookingId,
  responses: { 200: { description: 'The cancelled booking', schema: 'Booking' } },
  errors: [{ status: 404, code: 'not_found' }],
})

documentApi('bookings.slots', {
  summary: 'Free slots of a service',
  description:
    `Starts between \`from\` and \`to\` (at most ${MAX_SLOT_RANGE_DAYS} days) in the members’ ` +
    `hours, shown in \`time_zone\` (the customer’s). Slots held for another customer (${HOLD_MINUTES} minutes ` +
    'after they were offered) are left out.',
  tag: 'Bookings',
  scope: 'bookings:read',
  query: {
    service_id: { type: 'string', format: 'uuid', description: 'The service', required: true },
    from: { type: 'string', format: 'date-time', description: 'Range start', required: true },
    to: { type: 'string', format: 'date-time', description: 'Range end', required: true },
    time_zone: { type: 'string', description: 'IANA zone for local_start (default UTC)' },
    member_id: { type: 'string', format: 'uuid', description: 'Only this member’s slots' },
  },
  responses: {
    200: {
      description: 'The slots',
      schema: {
        type: 'object',
        properties: {
          time_zone: { type: 'string' },
          data: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                start: { type: 'string', format: 'date-time' },
                end: { type: 'string', format: 'date-time' },
                local_start: { type: 'string' },
                member_ids: { type: 'array', items: { type: 'string', format: 'uuid' } },
              },
            },
          },
        },
      },
    },
  },
  errors: [{ status: 404, code: 'not_found', description: 'No such service' }],
})

documentApi('bookings.services', {
  summary: 'List bookable services',
  tag: 'Bookings',
  scope: 'bookings:read',
  responses: {
    200: {
      description: 'The services',
      schema: {
        type: 'object',
        properties: {
          data: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string', format: 'uuid' },
                name: { type: 'string' },
                duration_minutes: { type: 'integer' },
                buffer_minutes: { type: 'integer' },
                price_text: { type: 'string' },
                active: { type: 'boolean' },
                member_ids: { type: 'array', items: { type: 'string', format: 'uuid' } },
              },
            },
          },
        },
      },
    },
  },
})
