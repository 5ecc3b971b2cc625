/*
| The session booker's reactions: its events go out as webhooks
| (booking.created, booking.cancelled) with the booking as the API shows it.
*/
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { usableTenantContext, type TenantContext } from '#modules/tenancy/index'
import { publishEvent } from '#modules/integrations/index'
import { findBooking } from './services/booking_service.js'
import { presentBooking } from './services/booking_presenter.js'

export function registerBookingListeners() {
  const safely = (what: string, work: () => Promise<unknown>) =>
    work().catch((error) => logger.error({ err: error }, `bookings: ${what} failed`))
  const withTenant = (slug: string, work: (tenant: TenantContext) => Promise<unknown>) =>
    usableTenantContext(slug).then((tenant) => (tenant ? work(tenant) : null))

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
