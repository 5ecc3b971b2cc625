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
  // Outreach rules (nudges, date reminders, check-in plans, the weekly pulse): everyone
  // sees them; admins and owners write them.
  'outreach.view': ['owner', 'admin', 'agent', 'viewer'],
  'outreach.manage': ['owner', 'admin'],
  // Agents coach (enroll clients, send their weekly summary) and review pulse drafts.
  'outreach.coach': ['owner', 'admin', 'agent'],
  // The Renewals page: everyone sees it; agents and up move a renewal along.
  'renewals.view': ['owner', 'admin', 'agent', 'viewer'],
  'renewals.update': ['owner', 'admin', 'agent'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof pulsePermissions> {}
}
