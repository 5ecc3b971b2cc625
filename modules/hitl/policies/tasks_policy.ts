import { BasePolicy } from '@adonisjs/bouncer'
import type { AuthorizerResponse } from '@adonisjs/bouncer/types'
import { can, type User, type WorkspaceAccess } from '#modules/identity/index'
import type Task from '../models/task.js'
import { mayAct, maySee } from '../services/task_service.js'

/**
 * The task inbox: owners and admins everything; agents the tasks assigned
 * to them (or to agents) and unassigned ones; viewers read only.
 */
export default class TasksPolicy extends BasePolicy {
  view(_user: User, access: WorkspaceAccess): AuthorizerResponse {
    return can(access, 'tasks.view')
  }

  see(_user: User, access: WorkspaceAccess, task: Task): AuthorizerResponse {
    return can(access, 'tasks.view') && maySee(task, access)
  }

  act(_user: User, access: WorkspaceAccess, task: Task): AuthorizerResponse {
    return can(access, 'tasks.act') && mayAct(task, access)
  }

  reassign(_user: User, access: WorkspaceAccess, task: Task): AuthorizerResponse {
    return can(access, 'tasks.manage') || (can(access, 'tasks.act') && mayAct(task, access))
  }
}
