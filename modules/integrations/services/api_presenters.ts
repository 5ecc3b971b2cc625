import type { Channel, Message, MessageTemplate } from '#modules/channels/index'
import type { Contact, Conversation } from '#modules/inbox/index'
import { apiTime, serialize, snakeCase } from '#app/http/api/index'

/*
| What the API shows of each resource. Fields are listed, not spread, so a
| column added to a model (a secret, say) never appears in the API by itself.
*/

export function presentContact(contact: Contact) {
  const base = serialize(contact, [
    'id',
    'phone',
    'waId',
    'name',
    'profileName',
    'email',
    'tags',
    'attributes',
    'notes',
    'optIn',
    'optedOutAt',
    'source',
    'timeZone',
    'language',
    'createdAt',
    'updatedAt',
  ])
  return {
    ...base,
    consent: {
      marketing: contact.marketingConsent ?? 'unknown',
      source: contact.marketingConsentSource ?? null,
      updated_at: contact.marketingConsentAt ? contact.marketingConsentAt.toUTC().toISO() : null,
    },
  }
}

export function presentChannel(channel: Channel) {
  return serialize(channel, [
    'id',
    'type',
    'name',
    'status',
    'displayNumber',
    'phoneNumberId',
    'wabaId',
    'createdAt',
    'updatedAt',
  ])
}

const CONVERSATION_FIELDS = [
  'id',
  'contactId',
  'channelId',
  'status',
  'snoozedUntil',
  'assigneeId',
  'labels',
  'priority',
  'unreadCount',
  'lastMessageAt',
  'lastCustomerMessageAt',
  'resolvedAt',
  'createdAt',
  'updatedAt',
] as const satisfies ReadonlyArray<keyof Conversation>

export function presentConversation(conversation: Conversation) {
  return serialize(conversation, CONVERSATION_FIELDS)
}

const CONVERSATION_COLUMNS = CONVERSATION_FIELDS.map(snakeCase)

/**
 * The same view from a plain row (a list read with .pojo()): a page of 25
 * skips building 25 models whose every date becomes a luxon DateTime only to
 * be printed again.
 */
export function presentConversationRow(row: Record<string, unknown>) {
  const out: Record<string, unknown> = {}
  for (const column of CONVERSATION_COLUMNS) {
    const value = row[column]
    out[column] = value instanceof Date ? apiTime(value) : (value ?? null)
  }
  return out
}

/**
 * A message without its raw payload (which holds storage keys and the
 * provider's full webhook); a file is described, not linked.
 */
export function presentMessage(message: Message) {
  const media = message.media
  return {
    ...serialize(message, [
      'id',
      'conversationId',
      'contactId',
      'channelId',
      'direction',
      'type',
      'body',
      'status',
      'errorCode',
      'errorTitle',
      'authorType',
      'authorId',
      'isNote',
      'externalId',
      'sentAt',
      'deliveredAt',
      'readAt',
      'failedAt',
      'createdAt',
      'updatedAt',
    ]),
    media: media
      ? {
          mime_type: media.mimeType ?? null,
          filename: media.filename ?? null,
          caption: media.caption ?? null,
          size: media.size ?? null,
        }
      : null,
  }
}

export function presentTemplate(template: MessageTemplate) {
  return serialize(template, [
    'id',
    'channelId',
    'name',
    'language',
    'category',
    'status',
    'rejectedReason',
    'bodyVariables',
    'components',
    'syncedAt',
    'createdAt',
    'updatedAt',
  ])
}
