/*
| The billing module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const billingPermissions = definePermissions('billing', {
  // The plan's usage against its limits: those who add members, channels and knowledge.
  'billing.usage': ['owner', 'admin'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof billingPermissions> {}
}
