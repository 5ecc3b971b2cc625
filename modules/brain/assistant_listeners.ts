import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { dispatchTenantJobInBatch, usableTenantContext } from '#modules/tenancy/index'
import {
  registerAssignmentGate,
  registerAssistantProbe,
  registerThreadAnnotator,
  type ThreadAnnotator,
} from '#modules/inbox/index'
import { registerUsageMeter } from '#modules/billing/index'
import AssistantReplyJob from './jobs/assistant_reply_job.js'
import { knowledgeBytesInUse } from './services/source_service.js'
import { assistantEnabledOn } from './services/assistant_settings.js'
import {
  assistantAnswersFirst,
  assistantRepliesFor,
  assistantStateOf,
  handOffRejectedDraft,
  markPersonReplied,
  recordApprovedDraft,
} from './services/assistant_service.js'
import { ASSISTANT_DRAFT_KIND, findTask } from '#modules/hitl/index'
import { withdrawDrafts } from './services/assistant/drafts.js'

/** Inbound types that carry text the assistant can read. */
const READABLE_TYPES = ['text', 'button', 'interactive']

/**
 * For the inbox thread: the assistant's evidence (citations, confidence) for
 * its own messages, and whether it or a person has the conversation (the
 * hand-back button).
 */
const annotateThread: ThreadAnnotator = async (tenant, thread) => {
  const [assistantReplies, assistantState] = await Promise.all([
    assistantRepliesFor(
      tenant,
      thread.messages.filter((m) => m.authorType === 'assistant').map((m) => m.id)
    ),
    assistantStateOf(tenant, thread.conversationId),
  ])
  return { assistantReplies, assistantState }
}

/**
 * The assistant's listeners: every readable customer message on a channel
 * with the assistant on gets a reply job of its own, run after the burst
 * wait (the job decides whether the assistant may answer now), and an agent's reply to the customer makes
 * the conversation a person's. It also
 * joins the channels module's work through its extension points: round-robin
 * waits while the assistant answers first, and the inbox thread shows its
 * evidence and state.
 */
export function registerAssistantListeners() {
  // Billing counts knowledge storage through the module that stores it.
  registerUsageMeter('knowledge_bytes', knowledgeBytesInUse)
  registerAssignmentGate(assistantAnswersFirst)
  registerThreadAnnotator(annotateThread)
  registerAssistantProbe(assistantEnabledOn)
  emitter.on('message:received', async (event) => {
    if (!READABLE_TYPES.includes(event.type)) return
    const tenant = await usableTenantContext(event.tenant)
    if (!tenant || !(await assistantEnabledOn(tenant, event.channelId))) return
    // Inside the hand-off's work batch, queued with the batch's other jobs.
    // Delayed by the burst wait: a message the customer sends within it
    // makes this run stand aside (answered_with_later), and the later
    // message's run answers the whole turn once.
    const delay = Math.max(0, app.config.get<number>('brain.assistantBurstWaitMs', 0))
    await dispatchTenantJobInBatch(
      AssistantReplyJob,
      { slug: event.tenant },
      { messageId: event.messageId },
      { jobId: `assistant-${event.tenant}-${event.messageId}`, ...(delay ? { delay } : {}) }
    )
  })
  emitter.on('message:sent', async (event) => {
    if (event.authorType !== 'agent' || event.isNote) return
    try {
      const tenant = await usableTenantContext(event.tenant)
      if (tenant) {
        await markPersonReplied(tenant, event.conversationId, event.channelId)
        // The person answered: a draft still waiting would answer twice.
        await withdrawDrafts(tenant, event.conversationId, 'personReplied')
      }
    } catch (error) {
      logger.error(
        { err: error, tenant: event.tenant },
        'assistant: marking the agent reply failed'
      )
    }
  })
  // A draft reply's outcome: approved, its message carries the evidence;
  // rejected or expired, a person takes the conversation.
  emitter.on('hitl:task_resolved', async (event) => {
    if (event.kind !== ASSISTANT_DRAFT_KIND || event.sourceType !== 'assistant') return
    try {
      const tenant = await usableTenantContext(event.tenant)
      if (!tenant) return
      const task = await findTask(tenant, event.taskId)
      if (!task?.conversationId) return
      if (task.status === 'approved' && task.response?.message_id && task.sourceRef) {
        await recordApprovedDraft(tenant, task.sourceRef, task.response.message_id)
      } else if (task.status === 'rejected' || task.status === 'expired') {
        await handOffRejectedDraft(
          tenant,
          task.conversationId,
          task.status === 'rejected' ? 'draft_rejected' : 'draft_expired'
        )
      }
    } catch (error) {
      logger.error({ err: error, tenant: event.tenant }, 'assistant: a draft’s outcome failed')
    }
  })
}
