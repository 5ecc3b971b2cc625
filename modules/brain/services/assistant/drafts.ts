import { contactById, conversationById } from '#modules/inbox/index'
import {
  ASSISTANT_DRAFT_KIND,
  createTask,
  withdrawConversationTasks,
  type Component,
} from '#modules/hitl/index'
import type { AuditActor, TenantContext } from '#modules/tenancy/index'
import type { Citation } from '../answers/types.js'
import type { ReplyLanguage } from '../answers/replies.js'

/*
| Draft replies for approval: on a channel with `draftReplies` on, the
| assistant's answer becomes a hitl task instead of a message. Approving it
| sends the (possibly edited) text through the task's send_message action,
| as the assistant's message; rejecting it, or letting it expire, hands the
| conversation to a person (assistant_listeners). A newer draft, a person's
| reply or a handoff withdraws a pending one, so a stale answer is never
| approved by mistake.
|
| The task is data read by people in either language; its labels are
| written in the language the assistant answered in.
*/

/** The editable_text holding the reply: what approval sends. */
export const DRAFT_TEXT = 'reply'

export const assistantActor: AuditActor = { userId: null, label: 'assistant', source: 'system' }

const LABELS: Record<
  ReplyLanguage,
  {
    title: string
    question: string
    reply: string
    sources: string
    preview: string
    withdrawn: string
    personReplied: string
    handedOff: string
  }
> = {
  english: {
    title: 'Draft reply to {name}',
    question: 'The customer wrote',
    reply: 'Reply',
    sources: 'Sources',
    preview: 'What the customer will read',
    withdrawn: 'A newer draft replaced this one',
    personReplied: 'A person replied in the conversation',
    handedOff: 'The conversation was handed to a person',
  },
  arabic: {
    title: 'مسودة رد على {name}',
    question: 'كتب العميل',
    reply: 'الرد',
    sources: 'المصادر',
    preview: 'ما سيقرؤه العميل',
    withdrawn: 'حلّت مسودة أحدث محل هذه',
    personReplied: 'ردّ شخص في المحادثة',
    handedOff: 'أُحيلت المحادثة إلى شخص',
  },
}

/** The longest draft a person may approve (WhatsApp's text body limit). */
const MAX_REPLY = 4096

export interface DraftInput {
  inboundMessageId: string
  conversationId: string
  contactId: string
  /** The customer's turn, as the assistant read it. */
  question: string
  /** What would have been sent: the customer's text of the answer. */
  text: string
  citations: Citation[]
  language: ReplyLanguage
}

/**
 * Opens the task for a draft reply, assigned like the conversation (its
 * assignee, else unassigned), after withdrawing the conversation's older
 * pending drafts. Returns the task's id.
 */
export async function openDraftTask(tenant: TenantContext, draft: DraftInput) {
  const labels = LABELS[draft.language]
  const [conversation, contact] = await Promise.all([
    conversationById(tenant, draft.conversationId),
    contactById(tenant, draft.contactId),
  ])
  await withdrawConversationTasks(
    tenant,
    draft.conversationId,
    ASSISTANT_DRAFT_KIND,
    labels.withdrawn,
    {
      actor: assistantActor,
    }
  )
  const name = contact?.name || contact?.profileName || contact?.phone || '—'
  const components: Component[] = [
    { type: 'text', name: 'question', label: labels.question, text: quoteMarkdown(draft.question) },
    { type: 'message_preview', name: 'preview', label: labels.preview, text_from: DRAFT_TEXT },
    {
      type: 'editable_text',
      name: DRAFT_TEXT,
      label: labels.reply,
      value: draft.text.slice(0, MAX_REPLY),
      max_length: MAX_REPLY,
      required: true,
      multiline: true,
    },
  ]
  if (draft.citations.length) {
    components.push({
      type: 'citations',
      name: 'sources',
      label: labels.sources,
      items: draft.citations.slice(0, 20).map((citation) => ({
        source: citation.title.slice(0, 200),
        heading: citation.headingPath.length
          ? citation.headingPath.join(' › ').slice(0, 200)
          : null,
        quote: citation.quote.slice(0, 4000),
        ...(citation.url && /^https?:\/\//.test(citation.url) ? { url: citation.url } : {}),
      })),
    })
  }
  const { task } = await createTask(
    tenant,
    {
      kind: ASSISTANT_DRAFT_KIND,
      title: labels.title.replace('{name}', name).slice(0, 200),
      contact_id: draft.contactId,
      conversation_id: draft.conversationId,
      assignee: conversation?.assigneeId ? { user_id: conversation.assigneeId } : null,
      components,
      action: { type: 'send_message', text_from: DRAFT_TEXT, author: 'assistant' },
      allowed: { edit: true },
      source: { type: 'assistant', ref: draft.inboundMessageId },
    },
    assistantActor
  )
  return task.id
}

/** Withdraws the conversation's pending drafts (a person took over). */
export async function withdrawDrafts(
  tenant: TenantContext,
  conversationId: string,
  why: 'personReplied' | 'handedOff'
) {
  return withdrawConversationTasks(
    tenant,
    conversationId,
    ASSISTANT_DRAFT_KIND,
    `${LABELS.english[why]} / ${LABELS.arabic[why]}`,
    { actor: assistantActor }
  )
}

/** The customer's words as a markdown quote (each line quoted). */
function quoteMarkdown(text: string) {
  return text
    .slice(0, 4000)
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n')
}
