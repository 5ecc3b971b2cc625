import { apiTime } from '#app/http/api/index'
import type Task from '../models/task.js'

/** A task as the API and webhooks present it (never its secrets). */
export function presentTask(task: Task) {
  return {
    id: task.id,
    kind: task.kind,
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    due_at: apiTime(task.dueAt),
    expires_at: apiTime(task.expiresAt),
    on_timeout: task.onTimeout,
    assignee: task.assigneeUserId
      ? { user_id: task.assigneeUserId, role: null }
      : task.assigneeRole
        ? { user_id: null, role: task.assigneeRole }
        : null,
    contact_id: task.contactId,
    conversation_id: task.conversationId,
    components: task.components,
    action: task.action,
    allowed: task.allowed,
    response: task.response,
    source: { type: task.sourceType, ref: task.sourceRef },
    callback_url: task.callbackUrl,
    created_at: apiTime(task.createdAt),
    resolved_at: apiTime(task.resolvedAt),
  }
}
