/*
| The tenancy module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const tenancyPermissions = definePermissions('tenancy', {
  'branding.manage': ['owner', 'admin'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof tenancyPermissions> {}
}
