import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'

/**
 * The session booker: every member sees services, hours and bookings, and
 * makes their own ICS feed; owners and admins change services, hours and
 * cancel bookings (see the role matrix).
 */
export default class BookingPolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'bookings.view')
  }

  manage(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'bookings.manage')
  }
}
