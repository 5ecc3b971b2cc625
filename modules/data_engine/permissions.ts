/*
| The data engine's rows of the workspace role matrix (see definePermissions):
| every member searches datasets; managers import, edit and delete them.
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const dataEnginePermissions = definePermissions('data_engine', {
  'datasets.view': ['owner', 'admin', 'agent', 'viewer'],
  'datasets.manage': ['owner', 'admin'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof dataEnginePermissions> {}
}
