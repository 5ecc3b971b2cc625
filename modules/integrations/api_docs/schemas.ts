import { describeRule, documentSchema, type JsonSchema } from '#app/http/api/index'
import { CONSENT_SOURCES, OPT_IN_STATES, e164 } from '../validators/contact_api_validator.js'
import {
  CONVERSATION_PRIORITIES,
  CONVERSATION_STATUSES,
  isoTime,
} from '../validators/conversation_api_validator.js'

// What our custom body rules mean, for the generated request schemas.
describeRule(e164, () => ({
  format: 'e164',
  description: 'A phone number in international form; spaces and dashes are ignored',
  examples: ['+971501234567'],
}))
describeRule(isoTime, () => ({ format: 'date-time' }))

/*
| The resources the API answers with, as api_presenters.ts shapes them.
| Times are ISO-8601 UTC strings; absent values are null.
*/

const id = { type: 'string', format: 'uuid' }
const nullableId = { type: ['string', 'null'], format: 'uuid' }
const time = { type: 'string', format: 'date-time' }
const nullableTime = { type: ['string', 'null'], format: 'date-time' }
const nullableString = { type: ['string', 'null'] }

function object(properties: Record<string, JsonSchema>): JsonSchema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  }
}

documentSchema(
  'Contact',
  object({
    id,
    phone: { type: ['string', 'null'], description: 'E.164, e.g. +971501234567' },
    wa_id: { ...nullableString, description: 'WhatsApp id: the digits of the number' },
    name: nullableString,
    profile_name: { ...nullableString, description: 'The name the person gave WhatsApp' },
    email: nullableString,
    tags: { type: 'array', items: { type: 'string' } },
    attributes: {
      type: 'object',
      description: "Values of the workspace's custom contact fields, by key",
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    notes: nullableString,
    opt_in: {
      type: 'string',
      enum: [...OPT_IN_STATES],
      description: 'Consent to service messages',
    },
    opted_out_at: nullableTime,
    source: { type: 'string', description: 'whatsapp, webchat, manual, api, import…' },
    time_zone: { ...nullableString, description: "IANA zone, guessed from the phone's country" },
    language: { ...nullableString, description: 'BCP 47 tag, e.g. ar, en' },
    created_at: time,
    updated_at: time,
    consent: object({
      marketing: {
        type: 'string',
        enum: [...OPT_IN_STATES],
        description: 'Consent to marketing messages (campaigns)',
      },
      source: {
        type: ['string', 'null'],
        enum: [...CONSENT_SOURCES, null],
        description: 'Where the marketing consent came from',
      },
      updated_at: nullableTime,
    }),
  })
)

documentSchema(
  'Channel',
  object({
    id,
    type: { type: 'string', enum: ['whatsapp', 'webchat', 'sandbox'] },
    name: nullableString,
    status: { type: 'string', enum: ['active', 'disabled'] },
    display_number: nullableString,
    phone_number_id: nullableString,
    waba_id: nullableString,
    created_at: time,
    updated_at: time,
  })
)

documentSchema(
  'Conversation',
  object({
    id,
    contact_id: id,
    channel_id: id,
    status: { type: 'string', enum: [...CONVERSATION_STATUSES] },
    snoozed_until: nullableTime,
    assignee_id: { ...nullableId, description: 'The assigned member’s user id' },
    labels: { type: 'array', items: { type: 'string' } },
    priority: { type: 'string', enum: [...CONVERSATION_PRIORITIES] },
    unread_count: { type: 'integer' },
    last_message_at: nullableTime,
    last_customer_message_at: {
      ...nullableTime,
      description: 'Opens WhatsApp’s 24-hour window for free-form messages',
    },
    resolved_at: nullableTime,
    created_at: time,
    updated_at: time,
  })
)

documentSchema(
  'Message',
  object({
    id,
    conversation_id: id,
    contact_id: id,
    channel_id: id,
    direction: { type: 'string', enum: ['inbound', 'outbound'] },
    type: { type: 'string', description: 'text, image, template, interactive…' },
    body: { ...nullableString, description: 'The text, caption or a one-line summary' },
    status: {
      type: 'string',
      enum: ['received', 'pending', 'queued', 'sent', 'delivered', 'read', 'failed'],
    },
    error_code: { type: ['integer', 'null'] },
    error_title: nullableString,
    author_type: { type: 'string', enum: ['contact', 'agent', 'assistant', 'system'] },
    author_id: nullableId,
    is_note: { type: 'boolean', description: 'An internal note the customer never sees' },
    external_id: {
      ...nullableString,
      description: 'WhatsApp’s message id (wamid), or import:<id> for imported history',
    },
    sent_at: nullableTime,
    delivered_at: nullableTime,
    read_at: nullableTime,
    failed_at: nullableTime,
    created_at: time,
    updated_at: time,
    media: {
      type: ['object', 'null'],
      properties: {
        mime_type: nullableString,
        filename: nullableString,
        caption: nullableString,
        size: { type: ['integer', 'null'] },
      },
    },
  })
)

documentSchema(
  'MessageAccepted',
  object({
    id,
    status: { type: 'string', description: 'pending: queued for delivery' },
    conversation_id: id,
    contact_id: id,
    channel_id: id,
    type: { type: 'string' },
    created_at: time,
  })
)

documentSchema(
  'Template',
  object({
    id,
    channel_id: id,
    name: { type: 'string' },
    language: { type: 'string', description: 'e.g. en_US' },
    category: { type: 'string', enum: ['MARKETING', 'UTILITY', 'AUTHENTICATION'] },
    status: { type: 'string', description: 'WhatsApp’s: APPROVED, PENDING, REJECTED…' },
    rejected_reason: nullableString,
    body_variables: { type: 'integer', description: 'How many {{n}} a send must fill' },
    components: { type: 'array', items: { type: 'object' } },
    synced_at: nullableTime,
    created_at: time,
    updated_at: time,
  })
)

documentSchema(
  'IngestResult',
  object({
    contact_id: id,
    contact_created: { type: 'boolean' },
    conversation_id: id,
    conversation_created: { type: 'boolean' },
    created: { type: 'integer' },
    skipped: { type: 'integer', description: 'Already imported (same external_id)' },
    messages: {
      type: 'array',
      items: object({
        external_id: { type: 'string' },
        id,
        status: { type: 'string', enum: ['created', 'skipped'] },
      }),
    },
  })
)
