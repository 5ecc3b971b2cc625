/*
| The events a webhook can subscribe to, by their public names. Internal
| events use `module:thing` (message:received); what leaves the platform
| uses dotted names (message.received), the convention Stripe, GitHub and
| Zapier users expect, and is ours to keep stable even if the modules that
| raise them change.
*/
export const WEBHOOK_EVENT_TYPES = [
  'message.received',
  'message.sent',
  'message.status',
  'conversation.created',
  'conversation.assigned',
  'conversation.resolved',
  'contact.created',
  'contact.updated',
  'handoff.requested',
  'knowledge.source_ready',
  'knowledge.source_failed',
  'task.created',
  'task.resolved',
  'campaign.started',
  'campaign.completed',
  'sequence.completed',
  'checkin.answered',
  'renewal.due',
  'booking.created',
  'booking.cancelled',
  'flow.completed',
] as const

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/**
 * The natural keys of events that happen once per thing: an event's id is
 * derived from its key (eventIdFor), so the same happening always has the
 * same id, whether delivered or shown as a sample.
 */
export const eventKeys = {
  messageReceived: (messageId: string) => `message.received:${messageId}`,
  messageSent: (messageId: string) => `message.sent:${messageId}`,
  messageStatus: (messageId: string, status: string) => `message.status:${messageId}:${status}`,
  conversationCreated: (conversationId: string) => `conversation.created:${conversationId}`,
  contactCreated: (contactId: string) => `contact.created:${contactId}`,
  sourceReady: (sourceId: string, version: number) =>
    `knowledge.source_ready:${sourceId}:${version}`,
  sourceFailed: (sourceId: string, version: number) =>
    `knowledge.source_failed:${sourceId}:${version}`,
  taskCreated: (taskId: string) => `task.created:${taskId}`,
  taskResolved: (taskId: string) => `task.resolved:${taskId}`,
}

/** What "send test event" posts: to one subscription, whatever it listens to. */
export const TEST_EVENT_TYPE = 'webhook.test'

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value)
}

/** A subscription's list: known types or '*', no duplicates, in a stable order. */
export function normalizeEventList(events: readonly string[]): string[] {
  if (events.includes('*')) return ['*']
  return WEBHOOK_EVENT_TYPES.filter((type) => events.includes(type))
}
