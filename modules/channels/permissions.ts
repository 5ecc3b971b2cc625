/*
| The channels module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const channelsPermissions = definePermissions('channels', {
  'channels.view': ['owner', 'admin'],
  'channels.manage': ['owner', 'admin'],
  'templates.view': ['owner', 'admin', 'agent', 'viewer'],
  'templates.manage': ['owner', 'admin'],
  // The sandbox phone: try the product as a customer would.
  'sandbox.use': ['owner', 'admin', 'agent'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof channelsPermissions> {}
}
