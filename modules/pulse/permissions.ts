/*
| The pulse module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const pulsePermissions = definePermissions('pulse', {
  // Audiences: everyone may look; agents and up build them.
  'segments.view': ['owner', 'admin', 'agent', 'viewer'],
  'segments.manage': ['owner', 'admin', 'agent'],
  // Campaigns: everyone may watch the funnel; admins and owners build and launch them.
  'campaigns.view': ['owner', 'admin', 'agent', 'viewer'],
  'campaigns.manage': ['owner', 'admin'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof pulsePermissions> {}
}
