/*
| The identity module's rows of the workspace role matrix (see definePermissions).
*/
import { definePermissions, type PermissionNames } from './policies/role_matrix.js'

export const identityPermissions = definePermissions('identity', {
  'workspace.view': ['owner', 'admin', 'agent', 'viewer'],
  'team.view': ['owner', 'admin', 'agent', 'viewer'],
  'team.invite': ['owner', 'admin'],
  'team.manage': ['owner', 'admin'],
})

declare module './policies/role_matrix.js' {
  interface PermissionRows extends PermissionNames<typeof identityPermissions> {}
}
