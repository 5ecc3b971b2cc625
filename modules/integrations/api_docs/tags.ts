import { describeApiTag } from '#app/http/api/index'

/*
| What each group of the integrations module's operations is for (the
| document's tags, and the sections of the API reference page).
*/

describeApiTag('Account', 'The workspace and key a token belongs to: a connection test')
describeApiTag('Channels', 'The workspace’s WhatsApp numbers, web chats and sandbox, to send from')
describeApiTag('Templates', 'WhatsApp message templates, for messages outside the 24-hour window')
describeApiTag(
  'Contacts',
  'The people the workspace talks to: create, read, update and upsert by phone'
)
describeApiTag(
  'Conversations',
  'Threads with contacts: their status, assignee and labels, their messages, and history imports'
)
describeApiTag('Messages', 'Sending messages to contacts, and reading one with its delivery status')
describeApiTag(
  'Webhooks',
  'Subscriptions that POST signed events to your URL, with their delivery history'
)
describeApiTag(
  'REST hooks',
  'Subscribe and unsubscribe one event at a time, as Zapier and n8n triggers do'
)
