/*
| The session booker's reactions: its events go out as webhooks
| (booking.created, booking.cancelled) with the booking as the API shows it,
| and a customer's message about their booking ("cancel", "reschedule", a
| picked time) is answered by the booker while the assistant stays silent.
*/
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { usableTenantContext, type TenantContext } from '#modules/tenancy/index'
import { publishEvent } from '#modules/integrations/index'
import { registerAssistantHold } from '#modules/brain/index'
import { answerBookingMessage, bookingHold } from './services/booking_inbound.js'
import { findBooking } from './services/booking_service.js'
import { presentBooking } from './services/booking_presenter.js'

export function registerBookingListeners() {
  const safely = (what: string, work: () => Promise<unknown>) =>
    work().catch((error) => logger.error({ err: error }, `bookings: ${what} failed`))
  const withTenant = (slug: string, work: (tenant: TenantContext) => Promise<unknown>) =>
    usableTenantContext(slug).then((tenant) => (tenant ? work(tenant) : null))

  registerAssistantHold(bookingHold)
  emitter.on('message:received', (event) =>
    safely('booking reply', () =>
      withTenant(event.tenant, (tenant) => answerBookingMessage(tenant, event))
    )
  )

  emitter.on('booking:created', (event) =>
    safely('booking.created webhook', () =>
      withTenant(event.tenant, (tenant) =>
        publishEvent(
          tenant,
          'booking.created',
          `booking.created:${event.bookingId}`,
          async (trx) => {
            const booking = await findBooking(tenant, event.bookingId, trx)
            return booking ? presentBooking(booking) : null
          }
        )
      )
    )
  )
  emitter.on('booking:cancelled', (event) =>
    safely('booking.cancelled webhook', () =>
      withTenant(event.tenant, (tenant) =>
        publishEvent(
          tenant,
          'booking.cancelled',
          `booking.cancelled:${event.bookingId}`,
          async (trx) => {
            const booking = await findBooking(tenant, event.bookingId, trx)
            return booking ? presentBooking(booking) : null
          }
        )
      )
    )
  )
}
