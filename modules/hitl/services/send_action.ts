import { conversationById, lastConversationOfContact, contactById } from '#modules/inbox/index'
import {
  findTenantChannel,
  ChannelError,
  queueOutboundMessage,
  type OutboundContent,
} from '#modules/channels/index'
import type { TenantContext } from '#modules/tenancy/index'
import Task from '../models/task.js'
import type { TaskResponse } from '../models/task.js'
import { TaskError } from './task_errors.js'
import { settleStatement } from './task_service.js'

/*
| The send_message action: approval sends the approved (possibly edited)
| text to the task's contact through the channels module's one outbound
| door, so the 24-hour window, opt-out and the channel's rules are checked
| now, at approval, not when the task was opened. Outside the window the
| approver picks an approved template instead.
|
| The message and the decision commit in one statement (queueOutboundMessage's
| `requires`): the decision's conditional UPDATE runs first and the message
| is stored only if it claimed the pending task. A cancel, reject or expiry
| that commits first leaves nothing sent; one racing it waits on the row
| lock and then finds the task approved. The message's idempotency key is
| the task's, so two approvals at once send one message.
*/

export function messageKeyOf(taskId: string) {
  return `hitl-task:${taskId}`
}

/** The text approval would send: the editable_text the action names, else the preview's text. */
export function approvedText(task: Task, values: Record<string, unknown>) {
  const from = task.action.type === 'send_message' ? task.action.text_from : undefined
  if (from && typeof values[from] === 'string') return values[from] as string
  const preview = task.components.find((c) => c.type === 'message_preview')
  if (
    preview &&
    typeof preview.text_from === 'string' &&
    typeof values[preview.text_from] === 'string'
  ) {
    return values[preview.text_from] as string
  }
  return preview && typeof preview.text === 'string' ? preview.text : null
}

function previewTemplate(task: Task) {
  const preview = task.components.find((c) => c.type === 'message_preview' && c.template)
  return (preview?.template as { name: string; language: string; variables?: string[] }) ?? null
}

/** The conversation a task's message goes into: its own, else the contact's latest. */
export async function conversationOf(tenant: TenantContext, task: Task) {
  if (task.conversationId) return conversationById(tenant, task.conversationId)
  if (!task.contactId) return null
  return lastConversationOfContact(tenant, task.contactId)
}

export interface SendOutlook {
  /** Free-form text can go now. */
  windowOpen: boolean
  optedOut: boolean
  /** No conversation or channel to send on. */
  noConversation: boolean
  channelId: string | null
  /** When the window closes (for the task's page), null when closed or unknown. */
  windowClosesAt: Date | null
}

/**
 * What approving would meet now: the page warns before the window closes
 * or when it has, and asks for a template.
 */
export async function sendOutlook(tenant: TenantContext, task: Task): Promise<SendOutlook> {
  const conversation = await conversationOf(tenant, task)
  if (!conversation) {
    return {
      windowOpen: false,
      optedOut: false,
      noConversation: true,
      channelId: null,
      windowClosesAt: null,
    }
  }
  const [contact, channel] = await Promise.all([
    contactById(tenant, conversation.contactId),
    findTenantChannel(tenant.id, conversation.channelId),
  ])
  const whatsapp = channel?.type === 'whatsapp'
  const open = !whatsapp || conversation.isWindowOpen()
  return {
    windowOpen: open,
    optedOut: contact?.optIn === 'opted_out',
    noConversation: false,
    channelId: conversation.channelId,
    windowClosesAt:
      whatsapp && open && conversation.lastCustomerMessageAt
        ? conversation.lastCustomerMessageAt.plus({ hours: 24 }).toJSDate()
        : null,
  }
}

/**
 * Sends and approves together; null when the task was resolved by someone
 * else first (then nothing was sent by this call).
 */
export async function sendApprovedMessage(
  tenant: TenantContext,
  task: Task,
  response: TaskResponse,
  template: { name: string; language: string; variables?: string[] } | null
): Promise<Task | null> {
  const conversation = await conversationOf(tenant, task)
  if (!conversation) {
    throw new TaskError('no_conversation', 'The contact has no conversation to send on yet', 422)
  }
  // The door lets system messages past an opt-out (notices the platform must
  // send); an approved reply is the business writing, so opt-out holds here.
  const contact = await contactById(tenant, conversation.contactId)
  if (contact?.optIn === 'opted_out') {
    throw new TaskError('contact_opted_out', 'This contact has opted out of messages', 422)
  }
  const text = approvedText(task, response.values)
  const chosen = template ?? (text === null ? previewTemplate(task) : null)
  const content: OutboundContent = chosen
    ? {
        type: 'template',
        name: chosen.name,
        language: chosen.language,
        variables: chosen.variables ?? [],
      }
    : { type: 'text', text: text ?? '' }

  const assistantDraft = task.action.type === 'send_message' && task.action.author === 'assistant'
  let plannedId: string | null = null
  let message
  try {
    message = await queueOutboundMessage(tenant, {
      conversationId: conversation.id,
      content,
      // An approved assistant draft stays the assistant's message: the
      // conversation is not taken over by the person who approved it.
      authorType: assistantDraft ? 'assistant' : response.by.type === 'user' ? 'agent' : 'system',
      authorId: !assistantDraft && response.by.type === 'user' ? response.by.id : null,
      idempotencyKey: messageKeyOf(task.id),
      // The decision is the write the message depends on: it claims the
      // pending task first in the insert's statement, so a cancel, a reject
      // or the expiry sweep that got there first leaves nothing sent.
      requires: (planned) => {
        plannedId = planned.id
        return settleStatement(tenant, task.id, 'approved', { ...response, message_id: planned.id })
      },
    })
  } catch (error) {
    if (error instanceof ChannelError) {
      if ((error as ChannelError & { code?: string }).code === 'precondition_failed') return null
      const code = (error as ChannelError & { code?: string }).code ?? 'send_refused'
      if (code === 'window_closed') {
        throw new TaskError(
          'window_closed',
          'More than 24 hours since the customer last wrote, so WhatsApp only accepts an approved template: choose one to approve',
          422,
          { template: ['Choose an approved template'] }
        )
      }
      if (code === 'contact_opted_out') {
        throw new TaskError('contact_opted_out', 'This contact has opted out of messages', 422)
      }
      throw new TaskError(
        code,
        error.message,
        422,
        (error as any).fields ? { message: [error.message] } : null
      )
    }
    throw error
  }
  if (message.id !== plannedId) return null
  const stored = await tenant.query(Task).where('id', task.id).first()
  return stored && stored.status === 'approved' && stored.response?.message_id === message.id
    ? stored
    : null
}
