/*
| Hitl (human in the loop) owns approval tasks: a task built from payload
| components, its actions on approval (send a message, a signed callback),
| the task inbox, expiry, and the tasks API. Other modules open tasks with
| createTask and react to `hitl:task_resolved`.
*/
import './permissions.js'
import Task from './models/task.js'

export { Task }
export type {
  TaskStatus,
  TaskPriority,
  TaskAction,
  TaskResponse,
  OnTimeout,
  SourceType,
} from './models/task.js'
export type { TaskEvent } from './events.js'
export {
  createTask,
  resolveTask,
  cancelTask,
  findTask,
  type NewTask,
  type Decision,
  type Resolver,
} from './services/task_service.js'
export { TaskError } from './services/task_errors.js'
export {
  checkComponents,
  COMPONENT_TYPES,
  type Component,
  type ComponentType,
} from './services/components.js'
export {
  pendingTasksOfConversation,
  withdrawConversationTasks,
} from './services/conversation_tasks.js'
export { ASSISTANT_DRAFT_KIND } from './services/thread_tasks.js'
export { presentTask } from './services/task_presenter.js'
export { expireDueTasks, sweepExpiredTasks } from './services/expiry.js'
export { registerHitlListeners } from './listeners.js'

export const hitlPolicies = {
  TasksPolicy: () => import('./policies/tasks_policy.js'),
}
