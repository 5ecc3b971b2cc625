import type { TenantContext } from '#modules/tenancy/index'
import type { AuditActor } from '#modules/tenancy/index'
import Task from '../models/task.js'
import { cancelTask } from './task_service.js'
import { TaskError } from './task_errors.js'

/*
| Tasks tied to a conversation: the inbox thread shows the pending ones
| (an assistant's draft reply is approved, edited or rejected there), and
| a module that opened one may withdraw it when it no longer applies (a
| newer draft, or a person replied meanwhile).
*/

/** The conversation's pending tasks, oldest first (of one kind when given). */
export async function pendingTasksOfConversation(
  tenant: TenantContext,
  conversationId: string,
  kind?: string
) {
  const query = tenant
    .query(Task)
    .where('conversation_id', conversationId)
    .where('status', 'pending')
    .orderBy('created_at', 'asc')
    .limit(20)
  if (kind) query.where('kind', kind)
  return query
}

/**
 * Cancels the conversation's pending tasks of a kind (except `keep`),
 * saying why in the comment; returns how many it cancelled. One resolved
 * by someone else meanwhile is left as it is.
 */
export async function withdrawConversationTasks(
  tenant: TenantContext,
  conversationId: string,
  kind: string,
  comment: string,
  options: { keep?: string | null; actor: AuditActor }
) {
  let withdrawn = 0
  for (const task of await pendingTasksOfConversation(tenant, conversationId, kind)) {
    if (task.id === options.keep) continue
    try {
      await cancelTask(
        tenant,
        task.id,
        { by: { type: 'system', id: null, name: null }, audit: options.actor },
        comment
      )
      withdrawn++
    } catch (error) {
      if (!(error instanceof TaskError)) throw error
    }
  }
  return withdrawn
}
