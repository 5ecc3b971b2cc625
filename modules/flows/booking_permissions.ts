/*
| The session booker's rows of the workspace role matrix: every member sees
| services, hours and the bookings calendar; owners and admins change them.
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const bookingPermissions = definePermissions('flows', {
  'bookings.view': ['owner', 'admin', 'agent', 'viewer'],
  'bookings.manage': ['owner', 'admin'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof bookingPermissions> {}
}
