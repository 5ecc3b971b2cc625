import type { INodePropertyOptions } from 'n8n-workflow'

/** FloMastr's webhook events, as the trigger offers them. */
export const EVENTS: INodePropertyOptions[] = [
  { name: 'Message Received', value: 'message.received', description: 'A customer wrote' },
  { name: 'Message Sent', value: 'message.sent', description: 'A message went to a customer' },
  {
    name: 'Message Status Changed',
    value: 'message.status',
    description: 'Sent, delivered, read or failed',
  },
  {
    name: 'Conversation Created',
    value: 'conversation.created',
    description: 'A conversation was opened',
  },
  {
    name: 'Conversation Assigned',
    value: 'conversation.assigned',
    description: 'Assigned or unassigned',
  },
  {
    name: 'Conversation Resolved',
    value: 'conversation.resolved',
    description: 'A conversation was resolved',
  },
  { name: 'Contact Created', value: 'contact.created', description: 'A contact was created' },
  { name: 'Contact Updated', value: 'contact.updated', description: "A contact's details changed" },
  {
    name: 'Handoff Requested',
    value: 'handoff.requested',
    description: 'A person was asked to take over',
  },
  {
    name: 'Knowledge Source Ready',
    value: 'knowledge.source_ready',
    description: 'A source is live',
  },
  {
    name: 'Knowledge Source Failed',
    value: 'knowledge.source_failed',
    description: 'A source could not be read',
  },
]
