'use strict'

const samples = require('../samples.json')
const fields = require('./fields')

/*
| Every webhook event FloMastr sends, as Zapier triggers. The record a
| trigger gives is the event's `data` with the event's id, type and time
| beside its fields: the contact's id stays "Contact ID" and the event's is
| "Event ID". A handoff's data has no id of its own; the conversation's is
| its id, since Zapier needs one on every record.
*/
const EVENTS = [
  [
    'message.received',
    'Message',
    'New Incoming Message',
    'A customer wrote on WhatsApp or web chat.',
    fields.message,
  ],
  [
    'message.sent',
    'Message',
    'New Outgoing Message',
    'A message was sent to a customer (by an agent, the assistant, the API or a campaign).',
    fields.message,
  ],
  [
    'message.status',
    'Message',
    'Message Status Changed',
    "An outgoing message's delivery status moved (sent, delivered, read, failed).",
    fields.message,
  ],
  [
    'conversation.created',
    'Conversation',
    'New Conversation',
    'A conversation was opened.',
    fields.conversation,
  ],
  [
    'conversation.assigned',
    'Conversation',
    'Conversation Assigned',
    'A conversation was assigned or unassigned.',
    fields.conversation,
  ],
  [
    'conversation.resolved',
    'Conversation',
    'Conversation Resolved',
    'A conversation was resolved.',
    fields.conversation,
  ],
  ['contact.created', 'Contact', 'New Contact', 'A contact was created.', fields.contact],
  ['contact.updated', 'Contact', 'Contact Updated', "A contact's details changed.", fields.contact],
  [
    'handoff.requested',
    'Handoff',
    'Handoff Requested',
    'A person was asked to take over a conversation.',
    fields.handoff,
  ],
  [
    'knowledge.source_ready',
    'Knowledge Source',
    'Knowledge Source Ready',
    'A knowledge source is live.',
    fields.knowledgeSource,
  ],
  [
    'knowledge.source_failed',
    'Knowledge Source',
    'Knowledge Source Failed',
    'A knowledge source could not be read.',
    fields.knowledgeSource,
  ],
  ['task.created', 'Task', 'New Approval Task', 'An approval task was opened.', fields.task],
  [
    'task.resolved',
    'Task',
    'Approval Task Resolved',
    'An approval task was approved, rejected, expired or cancelled.',
    fields.task,
  ],
  [
    'campaign.started',
    'Campaign',
    'Campaign Started',
    'A WhatsApp campaign began sending.',
    fields.campaign,
  ],
  [
    'campaign.completed',
    'Campaign',
    'Campaign Completed',
    'A WhatsApp campaign finished: every recipient was sent to or skipped.',
    fields.campaign,
  ],
  [
    'sequence.completed',
    'Enrollment',
    'Sequence Completed',
    'A contact reached the end of a drip sequence (early exits do not count).',
    fields.enrollment,
  ],
  [
    'flow.completed',
    'Flow Session',
    'Flow Completed',
    'A contact reached the end of a guided WhatsApp flow; the answers come with it.',
    fields.flowSession,
  ],
  [
    'checkin.answered',
    'Check-in',
    'Check-in Answered',
    'A contact answered a daily check-in.',
    fields.checkin,
  ],
  [
    'renewal.due',
    'Renewal',
    'Renewal Reminder Due',
    'A date reminder ran for a contact (e.g. 30 days before a policy ends).',
    fields.renewal,
  ],
  [
    'booking.created',
    'Booking',
    'Session Booked',
    'A customer booked a session (by WhatsApp, a flow, the API or the team).',
    fields.booking,
  ],
  [
    'booking.cancelled',
    'Booking',
    'Booking Cancelled',
    'A booking was cancelled by the customer, the team or the API.',
    fields.booking,
  ],
]

/** A delivered (or sample) envelope as the record a trigger gives. */
function recordOf(envelope) {
  const data = envelope.data || {}
  const own = data.conversation && !data.id ? { id: data.conversation.id } : {}
  return {
    ...data,
    ...own,
    event_id: envelope.id,
    event_type: envelope.type,
    event_created_at: envelope.created_at,
  }
}

/** The trigger key Zapier allows for an event type: `contact.created` is `contact_created`. */
function triggerKey(type) {
  return type.replace(/\./g, '_')
}

function staticSample(type) {
  return recordOf({
    id: 'evt_00000000000000000000000000000000',
    type,
    created_at: '2026-01-15T09:30:00.000Z',
    data: samples[type],
  })
}

module.exports = { EVENTS, recordOf, triggerKey, staticSample, eventFields: fields.event }
