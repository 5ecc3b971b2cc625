/*
| The flows module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const flowsPermissions = definePermissions('flows', {
  // Everyone may look at flows and their figures; admins and owners build and publish them.
  'flows.view': ['owner', 'admin', 'agent', 'viewer'],
  'flows.manage': ['owner', 'admin'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof flowsPermissions> {}
}
