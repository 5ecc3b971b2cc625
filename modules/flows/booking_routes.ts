/*
| The session booker's pages: the week calendar, services, the team's
| hours, a booking, and the calendar files (a member's private feed, a
| customer's invitation) that calendar apps read without a session.
*/
import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { addWorkspaceNavItem, tenantRoutes } from '#modules/tenancy/index'

const BookingsController = () => import('./controllers/bookings_controller.js')
const BookingFeedsController = () => import('./controllers/booking_feeds_controller.js')

addWorkspaceNavItem({
  key: 'bookings',
  path: '/bookings',
  label: 'bookings.nav',
  permission: 'bookings.view',
  order: 58,
})

tenantRoutes(() => {
  const uuid = router.matchers.uuid()
  router
    .group(() => {
      router.get('/bookings', [BookingsController, 'calendar']).as('bookings')
      router.get('/bookings/services', [BookingsController, 'services']).as('bookings.services')
      router
        .get('/bookings/services/new', [BookingsController, 'createService'])
        .as('bookings.services.create')
      router
        .post('/bookings/services', [BookingsController, 'storeService'])
        .as('bookings.services.store')
      router
        .get('/bookings/services/:id', [BookingsController, 'editService'])
        .as('bookings.services.edit')
        .where('id', uuid)
      router
        .post('/bookings/services/:id', [BookingsController, 'updateService'])
        .as('bookings.services.update')
        .where('id', uuid)
      router.get('/bookings/hours', [BookingsController, 'hours']).as('bookings.hours')
      router
        .post('/bookings/hours/:memberId', [BookingsController, 'saveHours'])
        .as('bookings.hours.save')
        .where('memberId', uuid)
      router
        .post('/bookings/feed', [BookingsController, 'regenerateFeed'])
        .as('bookings.feed.regenerate')
      router
        .get('/bookings/:id', [BookingsController, 'show'])
        .as('bookings.show')
        .where('id', uuid)
      router
        .post('/bookings/:id/cancel', [BookingsController, 'cancel'])
        .as('bookings.cancel')
        .where('id', uuid)
    })
    .use([middleware.auth(), middleware.workspace()])

  // Read by calendar apps: the secret token or the signature is the credential.
  router.get('/bookings/feed/:file', [BookingFeedsController, 'member']).as('bookings.feed')
  router
    .get('/bookings/:id/invite.ics', [BookingFeedsController, 'invite'])
    .as('bookings.invite')
    .where('id', uuid)
})
