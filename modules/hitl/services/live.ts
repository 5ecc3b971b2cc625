import logger from '@adonisjs/core/services/logger'
import { inboxTopic, publishLiveMany } from '#modules/inbox/index'

/*
| The task inbox's live notices, on the live-update stream the inbox uses
| (Redis pub/sub, server-sent events): "task X was created / resolved /
| reassigned", never the task itself. A page that hears one refetches its
| list through the same authorised route as a reload. A task in a
| conversation (an assistant's draft) is also a notice on the inbox's topic,
| so the thread showing it refreshes.
*/

export function tasksTopic(tenantId: string) {
  return `tasks:${tenantId}`
}

export interface TaskNotice {
  tenantId: string
  taskId: string
  change: 'created' | 'resolved' | 'reassigned'
  status: string
  conversationId?: string | null
}

/** Publishes a task's change; a notice that cannot go out (Redis down) costs a refresh, not the change. */
export async function publishTaskNotice(notice: TaskNotice) {
  const payload: Record<string, unknown> = {
    kind: 'task',
    change: notice.change,
    taskId: notice.taskId,
    status: notice.status,
  }
  const notices = [{ topic: tasksTopic(notice.tenantId), payload }]
  if (notice.conversationId) {
    notices.push({
      topic: inboxTopic(notice.tenantId),
      payload: { ...payload, conversationId: notice.conversationId },
    })
  }
  try {
    await publishLiveMany(notices)
  } catch (error) {
    logger.warn({ err: error, task: notice.taskId }, 'live task notice not published')
  }
}
