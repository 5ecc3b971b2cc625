/*
| The integrations module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const integrationsPermissions = definePermissions('integrations', {
  // REST API keys open the whole workspace to a program: managers only.
  'apikeys.manage': ['owner', 'admin'],
  // Webhooks send the workspace's events to a URL of their choosing: managers only.
  'webhooks.manage': ['owner', 'admin'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof integrationsPermissions> {}
}
