import { documentApi } from '#app/http/api/index'
import {
  CONVERSATION_STATUSES,
  updateConversationBody,
} from '../validators/conversation_api_validator.js'
import { ingestBody } from '../validators/ingest_api_validator.js'
import { idParam, notFound, unknownField, validationError } from './shared.js'

documentApi('conversations.index', {
  summary: 'List conversations',
  description: 'Most recently updated first.',
  tag: 'Conversations',
  scope: 'conversations:read',
  query: {
    status: { type: 'string', enum: CONVERSATION_STATUSES, description: 'Only this status' },
    assignee: {
      type: 'string',
      description: 'A member’s user id, or none for unassigned conversations',
    },
    label: { type: 'string', description: 'Conversations with this label' },
    channel_id: { type: 'string', format: 'uuid', description: 'Only this channel' },
    contact_id: { type: 'string', format: 'uuid', description: 'Only this contact' },
    updated_since: {
      type: 'string',
      format: 'date-time',
      description: 'Changed at or after this time',
    },
  },
  responses: {
    200: { description: 'A page of conversations', schema: 'Conversation', page: true },
  },
  errors: [validationError],
})

documentApi('conversations.ingest', {
  summary: 'Import history from another system',
  description:
    'Writes one contact’s past messages on a channel without sending anything. The contact is found by phone (or created); the messages go into its conversation in progress on the channel, else its latest one, else a new resolved conversation. A message whose external_id was imported before is skipped, so a repeated import adds nothing. Imported messages do not open WhatsApp’s 24-hour window. At most 500 messages per request.',
  tag: 'Conversations',
  scope: 'conversations:write',
  body: ingestBody,
  idempotent: true,
  responses: {
    200: { description: 'Everything was imported before: nothing added', schema: 'IngestResult' },
    201: { description: 'Messages were added', schema: 'IngestResult' },
  },
  errors: [validationError, unknownField],
})

documentApi('conversations.show', {
  summary: 'Get a conversation',
  tag: 'Conversations',
  scope: 'conversations:read',
  params: idParam('conversation'),
  responses: { 200: { description: 'The conversation', schema: 'Conversation' } },
  errors: [notFound('conversation')],
})

documentApi('conversations.update', {
  summary: 'Assign, change status, label or prioritise a conversation',
  description:
    'The inbox’s actions, with its rules and events. assignee_id null unassigns; status snoozed needs snoozed_until (a future time, at most 365 days ahead); labels replace the labels (normalised to lower case). A refused request changes nothing.',
  tag: 'Conversations',
  scope: 'conversations:write',
  params: idParam('conversation'),
  body: updateConversationBody,
  responses: { 200: { description: 'The conversation after the change', schema: 'Conversation' } },
  errors: [
    notFound('conversation'),
    validationError,
    unknownField,
    { status: 422, code: 'invalid_assignee', description: 'Not a member who may reply' },
    { status: 422, code: 'invalid_snooze' },
    { status: 422, code: 'invalid_labels' },
    {
      status: 409,
      code: 'newer_conversation',
      description: 'Reopening: the contact has a newer active conversation on this channel',
    },
  ],
})

documentApi('conversations.messages', {
  summary: 'List a conversation’s messages',
  description:
    'Oldest first (order=asc, the default) or newest first (order=desc), in the customer’s order: by WhatsApp’s timestamp (an outbound or imported message: when it was sent), then arrival for the same second. WhatsApp may deliver a message late; it is listed where it was sent, so a walk that already passed that point does not meet it again (the message.received webhook announces it). Internal notes are included with is_note true.',
  tag: 'Conversations',
  scope: 'messages:read',
  params: idParam('conversation'),
  query: {
    order: { type: 'string', enum: ['asc', 'desc'], description: 'asc (default) or desc' },
  },
  responses: { 200: { description: 'A page of messages', schema: 'Message', page: true } },
  errors: [notFound('conversation'), validationError],
})
