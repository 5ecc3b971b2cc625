import type { ThreadAnnotator } from '#modules/inbox/index'
import { can } from '#modules/identity/index'
import { inputComponents } from './components.js'
import { pendingTasksOfConversation } from './conversation_tasks.js'
import { mayAct, maySee } from './task_service.js'

/** The kind of task the assistant opens for a draft reply (brain's draft-for-approval). */
export const ASSISTANT_DRAFT_KIND = 'assistant_draft'

/**
 * The inbox thread's view of the conversation's pending tasks: an
 * assistant's draft reply is shown under the messages with its approve
 * (edit first) and reject forms, other tasks as a link to their page.
 * Only for a member who may see them; the forms only for one who may act.
 */
export const annotateThreadTasks: ThreadAnnotator = async (tenant, thread) => {
  const viewer = thread.viewer
  if (!viewer || !can(viewer, 'tasks.view') || !thread.messages.length) return {}
  const pending = await pendingTasksOfConversation(tenant, thread.conversationId)
  const tasks = pending.filter((task) => maySee(task, viewer))
  if (!tasks.length) return {}
  return {
    threadPanels: [
      {
        view: 'hitl::tasks/thread_panel',
        tasks: tasks.map((task) => {
          const text = inputComponents(task.components).find((c) => c.type === 'editable_text')
          const question = task.components.find((c) => c.type === 'text' && c.name === 'question')
          const citations = task.components.find((c) => c.type === 'citations')
          return {
            id: task.id,
            kind: task.kind,
            title: task.title,
            draft: task.kind === ASSISTANT_DRAFT_KIND,
            // A guided flow stands waiting on it: the customer was told a person is checking.
            forFlow: task.sourceType === 'flow',
            textName: text?.name ?? null,
            textLabel: text?.label ?? null,
            text: text ? String(text.value ?? '') : null,
            maxLength: (text?.max_length as number | undefined) ?? 4096,
            question: question ? String(question.text ?? '') : null,
            citations: (citations?.items as Array<Record<string, unknown>> | undefined) ?? [],
            canAct: can(viewer, 'tasks.act') && mayAct(task, viewer),
            canEdit: task.allowed.edit,
            rejectReasons: task.allowed.reject_reasons,
            createdIso: task.createdAt.toISO(),
          }
        }),
      },
    ],
  }
}
