/*
| The hitl module's rows of the workspace role matrix (see definePermissions):
| everyone reads the task inbox; agents and up act (agents on their own and
| unassigned tasks, see task_service mayAct); managers reassign anyone's.
*/
import { definePermissions, type PermissionNames } from '#modules/identity/index'

export const hitlPermissions = definePermissions('hitl', {
  'tasks.view': ['owner', 'admin', 'agent', 'viewer'],
  'tasks.act': ['owner', 'admin', 'agent'],
  'tasks.manage': ['owner', 'admin'],
})

declare module '#modules/identity/index' {
  interface PermissionRows extends PermissionNames<typeof hitlPermissions> {}
}
