/*
| The inbox module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const inboxPermissions = definePermissions('inbox', {
  'contacts.view': ['owner', 'admin', 'agent', 'viewer'],
  'contacts.manage': ['owner', 'admin', 'agent'],
  // The whole list in or out at once (CSV import and export): owners and admins.
  'contacts.bulk': ['owner', 'admin'],
  // The team inbox: everyone reads; agents and up reply, assign, resolve.
  'inbox.view': ['owner', 'admin', 'agent', 'viewer'],
  'inbox.reply': ['owner', 'admin', 'agent'],
  // Canned responses and labels are shared team vocabulary.
  'inbox.settings': ['owner', 'admin'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof inboxPermissions> {}
}
