import { documentApi } from '#app/http/api/index'
import { sendMessageBody } from '../validators/message_api_validator.js'
import { idParam, notFound, unknownField, validationError } from './shared.js'

documentApi('messages.store', {
  summary: 'Send a message',
  description:
    'Sends text, media (by https link or WhatsApp media id), an approved template or interactive buttons/list to a contact (contact_id, or to: a phone number, creating the contact) on a channel, with the inbox’s checks. Fill the part named by type: text, media, template or interactive. Only a template may start a WhatsApp conversation; free-form messages need the customer to have written in the last 24 hours. The message is queued: 202 with status pending; follow it with GET /messages/{id} or the message.status webhook.',
  tag: 'Messages',
  scope: 'messages:write',
  body: sendMessageBody,
  idempotent: true,
  responses: {
    202: { description: 'Accepted and queued (Location: the message)', schema: 'MessageAccepted' },
  },
  errors: [
    validationError,
    unknownField,
    {
      status: 422,
      code: 'outside_window',
      description: 'Free-form message more than 24 hours after the customer last wrote',
    },
    { status: 422, code: 'contact_opted_out', description: 'The contact opted out' },
    { status: 422, code: 'channel_disabled', description: 'The channel is not active' },
    {
      status: 402,
      code: 'plan_limit_reached',
      description:
        "A new conversation past the plan's conversations this month (`limit`: conversations); sending into one in progress is never refused",
    },
    {
      status: 409,
      code: 'idempotency_key_reused',
      description: 'The Idempotency-Key was used with another request',
    },
  ],
})

documentApi('messages.show', {
  summary: 'Get a message',
  description: 'Its delivery status (pending, queued, sent, delivered, read, failed) included.',
  tag: 'Messages',
  scope: 'messages:read',
  params: idParam('message'),
  responses: { 200: { description: 'The message', schema: 'Message' } },
  errors: [notFound('message')],
})
