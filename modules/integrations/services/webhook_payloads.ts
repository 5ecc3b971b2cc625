import { messageIn, latestMessage } from '#modules/channels/index'
import { contactIn, latestConversation, latestContact, conversationIn } from '#modules/inbox/index'
import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { latestKnowledgeSourceEvent } from '#modules/brain/index'
import { presentContact, presentConversation, presentMessage } from './api_presenters.js'
import { eventKeys, type WebhookEventType } from './webhook_events.js'

/*
| An event's `data`: the resource as the REST API shows it (the same
| presenters), read inside the tenant's transaction when the event fires, so
| a receiver can use a webhook and a GET interchangeably.
*/

export async function messageData(trx: TransactionClientContract, messageId: string) {
  const message = await messageIn(trx, messageId)
  return message ? presentMessage(message) : null
}

export async function conversationData(trx: TransactionClientContract, conversationId: string) {
  const conversation = await conversationIn(trx, conversationId)
  return conversation ? presentConversation(conversation) : null
}

export async function contactData(trx: TransactionClientContract, contactId: string) {
  const contact = await contactIn(trx, contactId)
  return contact ? presentContact(contact) : null
}

export async function handoffData(
  trx: TransactionClientContract,
  event: { conversationId: string; reason: string; requestedBy: string }
) {
  const conversation = await conversationData(trx, event.conversationId)
  if (!conversation) return null
  return { conversation, reason: event.reason, requested_by: event.requestedBy }
}

/*
| Fixed examples for GET /api/v1/hooks/samples/:event when the tenant has
| no real record of the kind yet: Zapier and n8n map fields from a sample
| before the first real event exists.
*/
/** When every fixed example happened (a fixed time, so a fixed sample stays the same). */
export const FIXED_SAMPLE_TIME = '2026-01-15T09:30:00.000Z'
const at = FIXED_SAMPLE_TIME
const contactId = '3f1c2a9e-5b7d-4e21-9a0c-7d3e1f2b4c5a'
const conversationId = '8a2b4c6d-1e3f-4a5b-9c7d-2e4f6a8b0c1d'
const channelId = 'c0ffee00-1234-4abc-8def-0123456789ab'
const messageId = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b'

const SAMPLE_CONTACT = {
  id: contactId,
  phone: '+971501234567',
  wa_id: '971501234567',
  name: 'Layla Haddad',
  profile_name: 'Layla',
  email: 'layla@example.com',
  tags: ['lead'],
  attributes: { city: 'Dubai' },
  notes: null,
  opt_in: 'opted_in',
  opted_out_at: null,
  source: 'whatsapp',
  time_zone: 'Asia/Dubai',
  language: 'ar',
  created_at: at,
  updated_at: at,
  consent: { marketing: 'opted_in', source: 'web_chat', updated_at: at },
}

const SAMPLE_CONVERSATION = {
  id: conversationId,
  contact_id: contactId,
  channel_id: channelId,
  status: 'open',
  snoozed_until: null,
  assignee_id: null,
  labels: ['sales'],
  priority: 'none',
  unread_count: 1,
  last_message_at: at,
  last_customer_message_at: at,
  resolved_at: null,
  created_at: at,
  updated_at: at,
}

function sampleMessage(direction: 'inbound' | 'outbound', status: string) {
  return {
    id: messageId,
    conversation_id: conversationId,
    contact_id: contactId,
    channel_id: channelId,
    direction,
    type: 'text',
    body: direction === 'inbound' ? 'Hello, is the apartment still available?' : 'Yes, it is!',
    status,
    error_code: null,
    error_title: null,
    author_type: direction === 'inbound' ? 'contact' : 'agent',
    author_id: null,
    is_note: false,
    external_id: 'wamid.HBgMOTcxNTAxMjM0NTY3FQIAEhgg',
    sent_at: direction === 'outbound' ? at : null,
    delivered_at: status === 'delivered' ? at : null,
    read_at: null,
    failed_at: null,
    created_at: at,
    updated_at: at,
    media: null,
  }
}

const SAMPLE_SOURCE = {
  id: '7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e',
  kind: 'url',
  title: 'Pricing and plans',
  tags: [],
  language: 'english',
  status: 'ready',
  error_code: null,
  version: 1,
  live_version: 1,
  url: 'https://example.com/pricing',
  file_name: null,
  chunk_count: 12,
  ingested_at: at,
  created_at: at,
  updated_at: at,
}

/** A task as the tasks API presents it (hitl's presentTask), for samples. */
const SAMPLE_TASK = {
  id: '6d1f3b7e-2a4c-4e8b-9f10-7c5a2e9d1b33',
  kind: 'reply_approval',
  title: 'Approve the reply to Omar',
  description: null,
  status: 'pending',
  priority: 'normal',
  due_at: null,
  expires_at: null,
  on_timeout: 'cancel',
  assignee: null,
  contact_id: null,
  conversation_id: null,
  components: [
    {
      type: 'editable_text',
      name: 'reply',
      label: 'Reply',
      value: 'Your renewal quote is attached.',
    },
  ],
  action: { type: 'callback' },
  allowed: { edit: true, reject_reasons: [] },
  response: null,
  source: { type: 'api', ref: null },
  callback_url: 'https://n8n.example/webhook-waiting/123',
  created_at: at,
  resolved_at: null,
}

/** A campaign as the pulse module presents it (GET /api/v1/campaigns/{id}). */
// The flows module presents bookings; this fixed sample stands in for samples.
const SAMPLE_BOOKING = {
  id: '8e2b4c6d-1a3f-4b5c-9d7e-2f4a6b8c0d13',
  service_id: '3a5c7e9b-2d4f-4a6c-8e0b-1c3d5e7f9a24',
  member_id: '3f0c2a9e-5b1d-4c8e-9a77-2d6b1e0f4a55',
  contact_id: 'c6a1f0d2-3b4e-4f5a-8b9c-0d1e2f3a4b5c',
  start: '2026-01-19T09:00:00.000Z',
  end: '2026-01-19T09:50:00.000Z',
  time_zone: 'Asia/Dubai',
  local_start: '2026-01-19T13:00:00+04:00',
  status: 'confirmed',
  cancelled_by: null,
  cancelled_at: null,
  created_at: '2026-01-15T09:30:00.000Z',
  updated_at: '2026-01-15T09:30:00.000Z',
}

const SAMPLE_ENROLLMENT = {
  id: '5b0e3c1a-8d2f-4e7b-9c6a-1f3d5e7a9b20',
  sequence_id: '0c4f2a9e-6b1d-4f3a-8e5c-7d9b1a3c5e70',
  sequence_name: 'New client onboarding',
  contact_id: 'c6a1f0d2-3b4e-4f5a-8b9c-0d1e2f3a4b5c',
  status: 'completed',
  source: 'label',
  current_step: null,
  waiting_for_reply: false,
  exit_reason: null,
  enrolled_at: '2026-01-05T09:00:00.000Z',
  ended_at: '2026-01-19T09:00:00.000Z',
}

const SAMPLE_FLOW_SESSION = {
  id: '8a4d2c1e-5f3b-4a7c-9e1d-2b6f0c8a4e31',
  flow_id: '1e7c3a5d-9b2f-4c6e-8a0d-3f5b7c9e1a42',
  flow_name: 'New client intake',
  version_id: '6c2e8a4f-0d1b-4e3c-9a5f-7b1d3e5c7a93',
  conversation_id: '2f8b6d4a-1c3e-4a5f-8b7d-9e0c2a4f6b18',
  contact_id: 'c6a1f0d2-3b4e-4f5a-8b9c-0d1e2f3a4b5c',
  status: 'completed',
  source: 'keyword',
  current_node: 'done',
  variables: {},
  answers: {
    cover: 'Car',
    age: 34,
  },
  end_reason: 'completed',
  started_at: '2026-01-05T09:00:00.000Z',
  ended_at: '2026-01-05T09:04:12.000Z',
  expires_at: '2026-01-06T09:03:40.000Z',
}

const SAMPLE_CAMPAIGN = {
  id: '7d2c5e0a-4b1f-4c8e-9a3d-2f6b8e1c0d94',
  name: 'March renewals',
  status: 'running',
  awaiting_approval: false,
  channel_id: '3f1c2b7e-9d4a-4e6b-8c2f-5a1d0e9b7c63',
  template: {
    name: 'renewal_reminder',
    language: 'en',
    variables: { '1': '{{contact.name|there}}' },
  },
  audience: { labels: ['renewal'] },
  schedule_at: null,
  local_time: false,
  stats: { targeted: 120, skipped: 4, sent: 0, delivered: 0, read: 0, replied: 0, failed: 0 },
  started_at: at,
  completed_at: null,
  created_at: at,
}

/** A check-in as the pulse module presents it in checkin.answered. */
const SAMPLE_CHECKIN = {
  id: '4182',
  plan: {
    id: '5e1f0c2a-7b3d-4c9e-8a6f-1d2b3c4e5f60',
    name: 'Morning accountability',
  },
  contact: {
    id: '9b3e4f10-2c5d-4a7e-8f1b-6d0c2a3e4b51',
    name: 'Layla Haddad',
    phone: '+971501234567',
  },
  day: '2026-01-15',
  status: 'answered',
  answer: 'Done',
  answer_index: 0,
  sent_at: '2026-01-15T04:00:00.000Z',
  answered_at: '2026-01-15T04:12:31.000Z',
  message_id: '0c6f2d3e-8a1b-4c5d-9e7f-2a3b4c5d6e7f',
}

/** A date reminder as the pulse module presents it in renewal.due. */
const SAMPLE_RENEWAL_DUE = {
  id: '2291',
  rule: {
    id: '6a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    name: 'Policy renewals',
  },
  contact: {
    id: '9b3e4f10-2c5d-4a7e-8f1b-6d0c2a3e4b51',
    name: 'Layla Haddad',
    phone: '+971501234567',
  },
  field: 'policy_end_date',
  date: '2026-02-14',
  offset_days: -30,
  status: 'sent',
  skip_reason: null,
  renewal_status: 'reminded',
  message_id: '1d7e3f4a-9b2c-4d6e-8f1a-3b4c5d6e7f80',
  task_id: '7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b',
  ran_at: '2026-01-15T06:00:00.000Z',
}

export function fixedSample(type: WebhookEventType): unknown {
  switch (type) {
    case 'message.received':
      return sampleMessage('inbound', 'received')
    case 'message.sent':
      return sampleMessage('outbound', 'queued')
    case 'message.status':
      return sampleMessage('outbound', 'delivered')
    case 'conversation.created':
    case 'conversation.assigned':
      return SAMPLE_CONVERSATION
    case 'conversation.resolved':
      return { ...SAMPLE_CONVERSATION, status: 'resolved', resolved_at: at }
    case 'contact.created':
    case 'contact.updated':
      return SAMPLE_CONTACT
    case 'handoff.requested':
      return {
        conversation: SAMPLE_CONVERSATION,
        reason: 'The customer asked for a person',
        requested_by: 'assistant',
      }
    case 'knowledge.source_ready':
      return SAMPLE_SOURCE
    case 'knowledge.source_failed':
      return { ...SAMPLE_SOURCE, status: 'failed', error_code: 'fetch_failed', live_version: null }
    case 'campaign.started':
    case 'campaign.completed':
      return {
        ...SAMPLE_CAMPAIGN,
        status: type === 'campaign.started' ? 'running' : 'completed',
      }
    case 'sequence.completed':
      return SAMPLE_ENROLLMENT
    case 'booking.created':
      return SAMPLE_BOOKING
    case 'booking.cancelled':
      return { ...SAMPLE_BOOKING, status: 'cancelled', cancelled_by: 'customer', cancelled_at: at }
    case 'flow.completed':
      return SAMPLE_FLOW_SESSION
    case 'checkin.answered':
      return SAMPLE_CHECKIN
    case 'renewal.due':
      return SAMPLE_RENEWAL_DUE
    case 'task.created':
      return SAMPLE_TASK
    case 'task.resolved':
      return {
        ...SAMPLE_TASK,
        status: 'approved',
        resolved_at: at,
        response: {
          decision: 'approved',
          values: { reply: 'Your renewal quote is attached; the premium is unchanged.' },
          original_values: { reply: 'Your renewal quote is attached.' },
          edited: ['reply'],
          reason: null,
          comment: null,
          by: { type: 'user', id: '3f0c2a9e-5b1d-4c8e-9a77-2d6b1e0f4a55', name: 'Sara' },
          at,
        },
      }
  }
}

/** A sample event's parts: the data, and the id and time its real delivery had. */
export interface SampleEvent {
  /** The natural key its delivery's id was derived from, else one naming the record's state. */
  key: string
  createdAt: DateTime
  data: unknown
}

/**
 * A sample from the tenant's own newest record of the kind (the newest
 * *created* one for a `.created` event), so a trigger's field mapping shows
 * real values, with the event id its delivery carried (or would carry): a
 * later record gives a new id, which is how Zapier's "load more samples"
 * finds something new. Null when there is no record yet.
 */
export async function latestSample(
  trx: TransactionClientContract,
  type: WebhookEventType
): Promise<SampleEvent | null> {
  switch (type) {
    case 'message.received':
    case 'message.sent': {
      const message = await latestMessage(trx, {
        direction: type === 'message.received' ? 'inbound' : 'outbound',
        by: 'created',
      })
      if (!message) return null
      const key =
        type === 'message.received'
          ? eventKeys.messageReceived(message.id)
          : eventKeys.messageSent(message.id)
      return { key, createdAt: message.createdAt, data: presentMessage(message) }
    }
    case 'message.status': {
      // A status event fires when an outbound message moves past queued.
      const message = await latestMessage(trx, {
        direction: 'outbound',
        by: 'updated',
        statuses: ['sent', 'delivered', 'read', 'failed'],
      })
      if (!message) return null
      return {
        key: eventKeys.messageStatus(message.id, message.status),
        createdAt: message.updatedAt,
        data: presentMessage(message),
      }
    }
    case 'conversation.created': {
      const conversation = await latestConversation(trx, 'created')
      if (!conversation) return null
      return {
        key: eventKeys.conversationCreated(conversation.id),
        createdAt: conversation.createdAt,
        data: presentConversation(conversation),
      }
    }
    case 'conversation.assigned':
    case 'conversation.resolved': {
      const conversation = await latestConversation(
        trx,
        type === 'conversation.resolved' ? 'resolved' : 'assigned'
      )
      if (!conversation) return null
      return changeSample(type, conversation, presentConversation(conversation))
    }
    case 'contact.created': {
      const contact = await latestContact(trx, 'created')
      if (!contact) return null
      return {
        key: eventKeys.contactCreated(contact.id),
        createdAt: contact.createdAt,
        data: presentContact(contact),
      }
    }
    case 'contact.updated': {
      const contact = await latestContact(trx, 'updated')
      return contact ? changeSample(type, contact, presentContact(contact)) : null
    }
    // Tasks belong to the hitl module, which presents them; the fixed sample stands in.
    case 'handoff.requested':
    case 'task.created':
    case 'task.resolved':
    case 'campaign.started':
    case 'campaign.completed':
    case 'sequence.completed':
    case 'flow.completed':
    case 'checkin.answered':
    case 'renewal.due':
    case 'booking.created':
    case 'booking.cancelled':
      return null
    case 'knowledge.source_ready':
    case 'knowledge.source_failed': {
      const ready = type === 'knowledge.source_ready'
      const source = await latestKnowledgeSourceEvent(trx, ready ? 'ready' : 'failed')
      if (!source) return null
      const key = ready
        ? eventKeys.sourceReady(source.id, source.liveVersion ?? source.version)
        : eventKeys.sourceFailed(source.id, source.version)
      return { key, createdAt: source.updatedAt, data: source.data }
    }
  }
}

/**
 * Events that recur (an assignment, an update) have no natural key and
 * their deliveries a random id; the sample's id names the record's state,
 * so it changes when the record does.
 */
function changeSample(
  type: WebhookEventType,
  record: { id: string; updatedAt: DateTime },
  data: unknown
): SampleEvent {
  return {
    key: `sample:${type}:${record.id}:${record.updatedAt.toMillis()}`,
    createdAt: record.updatedAt,
    data,
  }
}
