/*
| The hitl module's typed events: any module that opens a task reacts to its
| resolution here (by `sourceType`/`sourceRef`). Payloads carry the tenant
| slug and ids, never records, and are emitted after the write that made
| them true.
*/

export interface TaskEvent {
  tenant: string
  tenantId: string
  taskId: string
  kind: string
  status: string
  sourceType: string
  sourceRef: string | null
  /** The conversation the task belongs to (an assistant's draft), if any. */
  conversationId: string | null
}

declare module '@adonisjs/core/types' {
  interface EventsList {
    'hitl:task_created': TaskEvent
    'hitl:task_resolved': TaskEvent
  }
}
