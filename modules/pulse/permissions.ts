/*
| The pulse module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const pulsePermissions = definePermissions('pulse', {
  // Audiences: everyone may look; agents and up build them.
  'segments.view': ['owner', 'admin', 'agent', 'viewer'],
  'segments.manage': ['owner', 'admin', 'agent'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof pulsePermissions> {}
}
