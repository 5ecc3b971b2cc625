import {
  ChannelError,
  findTenantChannel,
  queueOutboundMessage,
  type OutboundContent,
} from '#modules/channels/index'
import {
  contactById,
  contactForSend,
  conversationById,
  conversationForSend,
  lastConversationOfContact,
  type Contact,
  type Conversation,
} from '#modules/inbox/index'
import { PlanLimitError } from '#modules/billing/index'
import type { TenantContext } from '#modules/tenancy/index'
import { BUILT_IN_FIELDS } from './campaign_variables.js'

/*
| How a rule speaks first (a nudge, a reminder, a check-in, the weekly
| pulse): through the channels module's one outbound door, by WhatsApp's
| 24-hour rule. Inside the customer's window the rule's own words go as
| free-form text (or reply buttons); after it, the rule's approved template
| with its variables filled; with no template the send is skipped and the
| reason recorded. Opt-out is checked here (rules are the business writing,
| never a notice the platform must send).
*/

export interface OutreachTemplate {
  name: string | null
  language: string | null
  /** Body variables in order, with {{contact.<field>|fallback}} and {{text}} placeholders. */
  variables: string[]
}

export interface OutreachMessage {
  contactId: string
  /** The conversation to write in (a nudge's); else the contact's on `channelId`, else its latest. */
  conversationId?: string | null
  channelId?: string | null
  text: string
  buttons?: Array<{ id: string; title: string }>
  template?: OutreachTemplate | null
  /**
   * The scheduler's sendGuard for the due row being run: the same row never
   * sends twice, and a cancelled row (a customer reply) sends nothing.
   */
  guard: {
    idempotencyKey: string
    requires?: (planned: { id: string }) => { sql: string; bindings: unknown[] }
  }
}

export type SendOutcome =
  { sent: true; messageId: string; via: 'free_form' | 'template' } | { sent: false; reason: string }

const PLACEHOLDER = /\{\{\s*(contact\.([a-z][a-z0-9_]*)|text)\s*(?:\|([^}]*))?\}\}/gi

/** A contact's field as text (name falls back to the WhatsApp profile name); null when empty. */
export function contactValue(contact: Contact, field: string): string | null {
  let value: unknown
  if (field === 'name') value = contact.name || contact.profileName
  else if (field === 'profile_name') value = contact.profileName
  else if (BUILT_IN_FIELDS.includes(field)) {
    value = (contact as unknown as Record<string, unknown>)[
      field.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())
    ]
  } else value = contact.attributes?.[field]
  const text = value === null || value === undefined ? '' : String(value).trim()
  return text || null
}

/**
 * Text with its placeholders filled from the contact (`{{contact.name|there}}`)
 * and `{{text}}` (the rule's message); `missing` names a required field the
 * contact lacks (then nothing is sent rather than a hole).
 */
export function fillPlaceholders(
  template: string,
  contact: Contact,
  extra: { text?: string } = {}
): { value: string; missing: string | null } {
  let missing: string | null = null
  const value = template.replace(PLACEHOLDER, (_all, _what, field, fallback) => {
    const found = field ? contactValue(contact, field) : (extra.text ?? null)
    if (found) return found
    const spare = typeof fallback === 'string' ? fallback.trim() : ''
    if (spare) return spare
    missing ??= field ?? 'text'
    return ''
  })
  return { value, missing }
}

async function conversationFor(tenant: TenantContext, message: OutreachMessage) {
  if (message.conversationId) return conversationById(tenant, message.conversationId)
  if (message.channelId) {
    const { found } = await contactForSend(tenant, { id: message.contactId }, message.channelId)
    if (found?.conversation) return found.conversation
  }
  return lastConversationOfContact(tenant, message.contactId)
}

/** Sends by the 24-hour rule, or says why not (never throws for a refusal). */
export async function sendOutreach(
  tenant: TenantContext,
  message: OutreachMessage
): Promise<SendOutcome> {
  const contact = await contactById(tenant, message.contactId)
  if (!contact) return { sent: false, reason: 'contact_deleted' }
  if (contact.optIn === 'opted_out') return { sent: false, reason: 'opted_out' }
  let conversation: Conversation | null = await conversationFor(tenant, message)
  const channelId = conversation?.channelId ?? message.channelId ?? null
  const channel = channelId ? await findTenantChannel(tenant.id, channelId) : null
  if (!channel) return { sent: false, reason: 'no_channel' }

  let content: OutboundContent
  let via: 'free_form' | 'template'
  const open = conversation && (channel.type !== 'whatsapp' || conversation.isWindowOpen())
  if (open) {
    const text = fillPlaceholders(message.text, contact)
    if (text.missing) return { sent: false, reason: `missing_variable:${text.missing}` }
    content = message.buttons?.length
      ? { type: 'buttons', body: text.value, buttons: message.buttons }
      : { type: 'text', text: text.value }
    via = 'free_form'
  } else {
    const template = message.template
    if (channel.type !== 'whatsapp' || !template?.name || !template.language) {
      return { sent: false, reason: 'window_closed' }
    }
    const body = fillPlaceholders(message.text, contact)
    const variables: string[] = []
    for (const variable of template.variables) {
      const filled = fillPlaceholders(variable, contact, { text: body.value })
      if (filled.missing) return { sent: false, reason: `missing_variable:${filled.missing}` }
      variables.push(filled.value)
    }
    content = { type: 'template', name: template.name, language: template.language, variables }
    via = 'template'
    if (!conversation || conversation.channelId !== channel.id) {
      try {
        const opened = await conversationForSend(tenant, contact.id, channel.id)
        conversation = opened?.conversation ?? null
      } catch (error) {
        if (error instanceof PlanLimitError) return { sent: false, reason: 'plan_limit' }
        throw error
      }
    }
    if (!conversation) return { sent: false, reason: 'no_conversation' }
  }
  try {
    const sent = await queueOutboundMessage(tenant, {
      conversationId: conversation!.id,
      content,
      authorType: 'system',
      idempotencyKey: message.guard.idempotencyKey,
      requires: message.guard.requires,
    })
    return { sent: true, messageId: sent.id, via }
  } catch (error) {
    if (error instanceof ChannelError) {
      // precondition_failed: the row was cancelled (a reply) between claim and send.
      return { sent: false, reason: String(error.code) }
    }
    if (error instanceof PlanLimitError) return { sent: false, reason: 'plan_limit' }
    throw error
  }
}
