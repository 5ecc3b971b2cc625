import {
  documentApi,
  documentSchema,
  documentWebhookEvent,
  type JsonSchema,
} from '#app/http/api/index'
import { WEBHOOK_EVENT_TYPES } from './webhook_events.js'
import { fixedSample } from './webhook_payloads.js'
import {
  createHookBody,
  createWebhookBody,
  updateWebhookBody,
} from '../validators/webhook_validator.js'

/*
| The OpenAPI description of /api/v1/webhooks and /api/v1/hooks, and of the
| events themselves (the document's `webhooks` section).
*/

const time = { type: 'string', format: 'date-time' }
const nullableTime = { type: ['string', 'null'], format: 'date-time' }
const eventName = { type: 'string', enum: ['*', ...WEBHOOK_EVENT_TYPES] }

const webhookProperties: Record<string, JsonSchema> = {
  id: { type: 'string', format: 'uuid' },
  url: { type: 'string', format: 'uri' },
  events: { type: 'array', items: eventName },
  description: { type: ['string', 'null'] },
  active: { type: 'boolean' },
  created_via: { type: 'string', enum: ['workspace', 'api', 'rest_hook'] },
  failing_since: nullableTime,
  disabled_reason: { type: ['string', 'null'], enum: ['gone', 'failing', null] },
  disabled_at: nullableTime,
  created_at: time,
  updated_at: time,
}

documentSchema('Webhook', {
  type: 'object',
  properties: webhookProperties,
  required: Object.keys(webhookProperties),
})

documentSchema('WebhookWithSecret', {
  type: 'object',
  description: 'A webhook and its signing secret (answered on create and rotate only)',
  properties: { ...webhookProperties, secret: { type: 'string' } },
  required: [...Object.keys(webhookProperties), 'secret'],
})

const deliveryProperties: Record<string, JsonSchema> = {
  id: { type: 'string', format: 'uuid' },
  event_id: { type: 'string' },
  event_type: { type: 'string' },
  status: { type: 'string', enum: ['pending', 'sending', 'retrying', 'delivered', 'failed'] },
  attempts: { type: 'integer' },
  last_status_code: { type: ['integer', 'null'] },
  last_error: { type: ['string', 'null'] },
  last_duration_ms: { type: ['integer', 'null'] },
  last_attempt_at: nullableTime,
  next_attempt_at: nullableTime,
  delivered_at: nullableTime,
  created_at: time,
}

documentSchema('WebhookDelivery', {
  type: 'object',
  properties: deliveryProperties,
  required: Object.keys(deliveryProperties),
})

documentSchema('WebhookEvent', {
  type: 'object',
  description:
    'What every delivery posts. Verify X-FloMastr-Signature (t=<unix>,v1=<hex HMAC-SHA256 of "t.body">) and de-duplicate on id.',
  properties: {
    id: { type: 'string', description: 'The event id (also X-FloMastr-Event-Id)' },
    type: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES, 'webhook.test'] },
    created_at: time,
    tenant: {
      type: 'object',
      properties: { id: { type: 'string', format: 'uuid' }, slug: { type: 'string' } },
      required: ['id', 'slug'],
    },
    data: { type: 'object', description: 'The resource, as the REST API shows it' },
  },
  required: ['id', 'type', 'created_at', 'tenant', 'data'],
})

const idParam = {
  id: { type: 'string' as const, format: 'uuid', description: 'The webhook’s id', required: true },
}
const notFound = {
  status: 404,
  code: 'not_found',
  description: 'No such webhook in this workspace',
}
const validation = { status: 422, code: 'validation_failed' }
const unknownField = { status: 422, code: 'unknown_field' }
const privateTarget = {
  status: 422,
  code: 'private_target',
  description: 'The URL points to a private, loopback or reserved address',
}

documentApi('webhooks.index', {
  summary: 'List webhooks',
  tag: 'Webhooks',
  scope: 'webhooks:read',
  responses: { 200: { description: 'A page of webhooks', schema: 'Webhook', page: true } },
})

documentApi('webhooks.store', {
  summary: 'Create a webhook',
  description:
    'Subscribes a URL to events ("*" for all). The answer carries the signing secret; keep it to verify deliveries.',
  tag: 'Webhooks',
  scope: 'webhooks:write',
  body: createWebhookBody,
  idempotent: true,
  responses: {
    201: { description: 'The new webhook with its secret', schema: 'WebhookWithSecret' },
  },
  errors: [validation, unknownField, privateTarget],
})

documentApi('webhooks.show', {
  summary: 'Get a webhook',
  tag: 'Webhooks',
  scope: 'webhooks:read',
  params: idParam,
  responses: { 200: { description: 'The webhook', schema: 'Webhook' } },
  errors: [notFound],
})

documentApi('webhooks.update', {
  summary: 'Update a webhook',
  description: 'Fields left out stay as they are. Setting active to true again clears a disable.',
  tag: 'Webhooks',
  scope: 'webhooks:write',
  params: idParam,
  body: updateWebhookBody,
  responses: { 200: { description: 'The webhook', schema: 'Webhook' } },
  errors: [notFound, validation, unknownField, privateTarget],
})

documentApi('webhooks.destroy', {
  summary: 'Delete a webhook',
  tag: 'Webhooks',
  scope: 'webhooks:write',
  params: idParam,
  responses: { 204: { description: 'Deleted, with its delivery log' } },
  errors: [notFound],
})

documentApi('webhooks.rotate', {
  summary: 'Rotate a webhook’s secret',
  description: 'The old secret stops signing at once.',
  tag: 'Webhooks',
  scope: 'webhooks:write',
  params: idParam,
  responses: {
    200: { description: 'The webhook with its new secret', schema: 'WebhookWithSecret' },
  },
  errors: [notFound],
})

documentApi('webhooks.deliveries', {
  summary: 'A webhook’s delivery log',
  description: 'The 50 most recent deliveries, newest first.',
  tag: 'Webhooks',
  scope: 'webhooks:read',
  params: idParam,
  responses: { 200: { description: 'Deliveries', schema: 'WebhookDelivery', page: true } },
  errors: [notFound],
})

documentApi('hooks.store', {
  summary: 'Subscribe a REST hook',
  description:
    'Zapier REST Hooks: subscribes target_url to one event and returns the hook id (keep it to unsubscribe) and the signing secret.',
  tag: 'REST hooks',
  scope: 'webhooks:write',
  body: createHookBody,
  idempotent: true,
  responses: {
    201: {
      description: 'The hook',
      schema: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          target_url: { type: 'string', format: 'uri' },
          event: eventName,
          secret: { type: 'string' },
          created_at: time,
        },
        required: ['id', 'target_url', 'event', 'secret', 'created_at'],
      },
    },
  },
  errors: [validation, unknownField, privateTarget],
})

documentApi('hooks.destroy', {
  summary: 'Unsubscribe a REST hook',
  description:
    'Answers 200 with `{id, deleted: true}`, also when the hook was already deleted (a retried ' +
    'unsubscribe succeeds); 204 with no body when the request says `Prefer: return=minimal`. ' +
    'An id this workspace never had is 404.',
  tag: 'REST hooks',
  scope: 'webhooks:write',
  params: { id: { ...idParam.id, description: 'The hook’s id' } },
  headers: {
    Prefer: { type: 'string', description: '`return=minimal` for a 204 with no body' },
  },
  responses: {
    200: {
      description: 'Unsubscribed (now or before)',
      schema: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          deleted: { type: 'boolean', enum: [true] },
        },
        required: ['id', 'deleted'],
      },
    },
    204: { description: 'Unsubscribed, with `Prefer: return=minimal`' },
  },
  errors: [notFound],
})

documentApi('hooks.sample', {
  summary: 'A sample event',
  description:
    'An event envelope as deliveries carry it, for a trigger’s field mapping: from the ' +
    'workspace’s newest record of the kind (the newest created one for a `.created` event), ' +
    'with the id and time its delivery had, so a newer record gives a new sample; a fixed ' +
    'example when the workspace has none yet.',
  tag: 'REST hooks',
  scope: 'webhooks:read',
  params: {
    event: {
      type: 'string',
      enum: WEBHOOK_EVENT_TYPES,
      description: 'The event type',
      required: true,
    },
  },
  responses: { 200: { description: 'A sample event', schema: 'WebhookEvent' } },
  errors: [{ status: 404, code: 'unknown_event', description: 'No event has this name' }],
})

const summaries: Record<(typeof WEBHOOK_EVENT_TYPES)[number], string> = {
  'message.received': 'A customer’s message arrived',
  'message.sent':
    'A message was sent to a customer (by an agent, the assistant, the API or a campaign)',
  'message.status': 'An outbound message’s delivery status moved (sent, delivered, read, failed)',
  'conversation.created': 'A conversation was opened',
  'conversation.assigned': 'A conversation was assigned or unassigned',
  'conversation.resolved': 'A conversation was resolved',
  'contact.created': 'A contact was created',
  'contact.updated': 'A contact’s details changed',
  'handoff.requested': 'A person was asked to take over a conversation',
  'knowledge.source_ready': 'A knowledge source is live',
  'knowledge.source_failed': 'A knowledge source could not be read',
  'task.created': 'An approval task was opened',
  'task.resolved': 'An approval task was approved, rejected, expired or cancelled',
  'campaign.started': 'A campaign began sending',
  'campaign.completed': 'A campaign sent to every recipient it could',
  'sequence.completed': 'A contact reached the end of a sequence (early exits do not count)',
  'checkin.answered': 'A contact answered a daily check-in (a reply button or its title)',
  'renewal.due': 'A date reminder ran for a contact (e.g. 30 days before a policy ends)',
  'booking.created': 'A customer booked a session (by WhatsApp, a flow, the API or the team)',
  'booking.cancelled': 'A booking was cancelled (by the customer, the team or the API)',
  'flow.completed': 'A contact reached the end of a guided flow, with their answers',
}

/**
 * A knowledge source in its events (the brain module's knowledgeSourceEventData): fewer fields
 * than GET /brain/sources/{id} gives, and the failure as a bare code.
 */
documentSchema('KnowledgeSourceEvent', {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: ['file', 'url', 'text', 'faq'] },
    title: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    language: { type: 'string', enum: ['english', 'arabic', 'simple'] },
    status: { type: 'string', enum: ['queued', 'processing', 'ready', 'failed'] },
    error_code: { type: ['string', 'null'], description: 'Why ingestion failed, else null' },
    version: { type: 'integer' },
    live_version: { type: ['integer', 'null'] },
    url: { type: ['string', 'null'] },
    file_name: { type: ['string', 'null'] },
    chunk_count: { type: 'integer' },
    ingested_at: nullableTime,
    created_at: time,
    updated_at: time,
  },
  required: ['id', 'kind', 'title', 'status', 'version', 'created_at', 'updated_at'],
})

/** A contact as events of the pulse rules name it. */
const personRef = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: ['string', 'null'] },
    phone: { type: ['string', 'null'] },
  },
  required: ['id'],
} as const

/** An event's `data`: the resource as the REST API presents it. */
const eventData: Record<(typeof WEBHOOK_EVENT_TYPES)[number], JsonSchema> = {
  'message.received': { $ref: '#/components/schemas/Message' },
  'message.sent': { $ref: '#/components/schemas/Message' },
  'message.status': { $ref: '#/components/schemas/Message' },
  'conversation.created': { $ref: '#/components/schemas/Conversation' },
  'conversation.assigned': { $ref: '#/components/schemas/Conversation' },
  'conversation.resolved': { $ref: '#/components/schemas/Conversation' },
  'contact.created': { $ref: '#/components/schemas/Contact' },
  'contact.updated': { $ref: '#/components/schemas/Contact' },
  'handoff.requested': {
    type: 'object',
    properties: {
      conversation: { $ref: '#/components/schemas/Conversation' },
      reason: { type: 'string' },
      requested_by: { type: 'string' },
    },
    required: ['conversation', 'reason', 'requested_by'],
  },
  'knowledge.source_ready': { $ref: '#/components/schemas/KnowledgeSourceEvent' },
  'knowledge.source_failed': { $ref: '#/components/schemas/KnowledgeSourceEvent' },
  'task.created': { $ref: '#/components/schemas/Task' },
  'task.resolved': { $ref: '#/components/schemas/Task' },
  'campaign.started': { $ref: '#/components/schemas/Campaign' },
  'campaign.completed': { $ref: '#/components/schemas/Campaign' },
  'sequence.completed': { $ref: '#/components/schemas/SequenceEnrollment' },
  'booking.created': { $ref: '#/components/schemas/Booking' },
  'booking.cancelled': { $ref: '#/components/schemas/Booking' },
  'flow.completed': { $ref: '#/components/schemas/FlowSession' },
  'checkin.answered': {
    type: 'object',
    properties: {
      id: { type: 'string' },
      plan: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
      contact: personRef,
      day: { type: 'string', format: 'date', description: 'The local day it was asked' },
      status: { type: 'string', enum: ['answered'] },
      answer: { type: 'string', description: 'The reply button’s title' },
      answer_index: { type: 'integer', description: '0 is the first button (it keeps the streak)' },
      sent_at: nullableTime,
      answered_at: nullableTime,
      message_id: { type: ['string', 'null'] },
    },
    required: ['id', 'plan', 'contact', 'day', 'answer'],
  },
  'renewal.due': {
    type: 'object',
    properties: {
      id: { type: 'string' },
      rule: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
      contact: personRef,
      field: { type: 'string', description: 'The contact date field' },
      date: { type: 'string', format: 'date' },
      offset_days: { type: 'integer', description: 'Days from the date (negative: before)' },
      status: { type: 'string', enum: ['sent', 'skipped'] },
      skip_reason: { type: ['string', 'null'] },
      renewal_status: { type: 'string', enum: ['reminded', 'in_talks', 'renewed', 'lost'] },
      message_id: { type: ['string', 'null'] },
      task_id: { type: ['string', 'null'] },
      ran_at: nullableTime,
    },
    required: ['id', 'rule', 'contact', 'field', 'date', 'offset_days', 'status'],
  },
}

for (const type of WEBHOOK_EVENT_TYPES) {
  documentWebhookEvent(type, {
    summary: summaries[type],
    data: eventData[type],
    example: fixedSample(type),
  })
}
