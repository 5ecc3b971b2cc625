import type { Role } from '#modules/identity/index'

/**
 * The task inbox's rows of the role matrix: everyone reads; agents and up
 * act (agents on their own and unassigned tasks, see task_service mayAct);
 * managers reassign anyone's.
 */
export const hitlPermissions = {
  'tasks.view': ['owner', 'admin', 'agent', 'viewer'],
  'tasks.act': ['owner', 'admin', 'agent'],
  'tasks.manage': ['owner', 'admin'],
} as const satisfies Record<string, readonly Role[]>
