import { createHmac, randomBytes, randomInt } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import app from '@adonisjs/core/services/app'
import { DateTime } from 'luxon'
import { addWhatsAppChannel, type Channel } from '#modules/channels/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { WorkerPool } from '#app/queue/worker_pool'
import { makeTenant } from '#tests/helpers/tenants'

/*
| WhatsApp Cloud API webhooks as Meta sends them (shapes from Meta's webhook
| reference), signed like Meta signs them, posted with plain fetch so the
| exact bytes reach the server.
*/

export function baseUrl(path = '') {
  return `http://${process.env.HOST}:${process.env.PORT}${path}`
}

/** A tenant with a WhatsApp number (unique phone_number_id) and its secrets. */
export async function makeWhatsAppTenant(prefix = 'wa') {
  const made = await makeTenant(prefix)
  const phoneNumberId = `1${randomInt(1e9, 9e9)}${randomInt(1e4, 9e4)}`
  const appSecret = randomBytes(16).toString('hex')
  const verifyToken = `verify-${randomBytes(6).toString('hex')}`
  const wabaId = `2${randomInt(1e9, 9e9)}`
  const channel = await addWhatsAppChannel(
    made.tenant,
    {
      phoneNumberId,
      wabaId,
      displayNumber: '+15550001234',
      accessToken: 'test-access-token',
      appSecret,
      verifyToken,
    },
    systemActor
  )
  return { ...made, channel, phoneNumberId, appSecret, verifyToken, wabaId }
}

export type WhatsAppTenant = Awaited<ReturnType<typeof makeWhatsAppTenant>>

let sequence = 0

export function wamid() {
  sequence++
  return `wamid.HBgL${randomBytes(10).toString('hex').toUpperCase()}${sequence}`
}

/** A customer's wa_id (digits of the number), unique per call. */
export function waId() {
  return `1555${randomInt(1_000_000, 9_999_999)}`
}

export function unix(date = new Date()) {
  return String(Math.floor(date.getTime() / 1000))
}

interface MessageOptions {
  from: string
  id?: string
  timestamp?: string
}

function message(options: MessageOptions, type: string, body: Record<string, unknown>) {
  return {
    from: options.from,
    id: options.id ?? wamid(),
    timestamp: options.timestamp ?? unix(),
    type,
    ...body,
  }
}

/** One builder per message type WhatsApp sends. */
export const messages = {
  text: (o: MessageOptions, body = 'Hello, is the flat on Elm Street still available?') =>
    message(o, 'text', { text: { body } }),
  image: (o: MessageOptions) =>
    message(o, 'image', {
      image: {
        caption: 'The damage to the car',
        mime_type: 'image/jpeg',
        sha256: 'a3f1e2d4c5b6a7980112233445566778899aabbccddeeff0011223344556677',
        id: '1480230012345678',
      },
    }),
  audio: (o: MessageOptions) =>
    message(o, 'audio', {
      audio: {
        mime_type: 'audio/ogg; codecs=opus',
        sha256: 'b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3',
        id: '2480230012345678',
        voice: true,
      },
    }),
  video: (o: MessageOptions) =>
    message(o, 'video', {
      video: {
        caption: 'Walkthrough',
        mime_type: 'video/mp4',
        sha256: 'c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4',
        id: '3480230012345678',
      },
    }),
  document: (o: MessageOptions) =>
    message(o, 'document', {
      document: {
        caption: 'My policy',
        filename: 'policy-2024.pdf',
        mime_type: 'application/pdf',
        sha256: 'd6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5',
        id: '4480230012345678',
      },
    }),
  sticker: (o: MessageOptions) =>
    message(o, 'sticker', {
      sticker: {
        mime_type: 'image/webp',
        sha256: 'e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6',
        id: '5480230012345678',
        animated: false,
      },
    }),
  location: (o: MessageOptions) =>
    message(o, 'location', {
      location: {
        latitude: 25.2048493,
        longitude: 55.2707828,
        name: 'Burj Khalifa',
        address: '1 Sheikh Mohammed bin Rashid Blvd, Dubai',
      },
    }),
  contacts: (o: MessageOptions) =>
    message(o, 'contacts', {
      contacts: [
        {
          name: { formatted_name: 'Layla Haddad', first_name: 'Layla', last_name: 'Haddad' },
          phones: [{ phone: '+971 50 123 4567', wa_id: '971501234567', type: 'CELL' }],
        },
      ],
    }),
  buttonReply: (o: MessageOptions) =>
    message(o, 'interactive', {
      context: { from: '15550001234', id: 'wamid.OUTBOUND-BUTTONS' },
      interactive: {
        type: 'button_reply',
        button_reply: { id: 'book-viewing', title: 'Book a viewing' },
      },
    }),
  listReply: (o: MessageOptions) =>
    message(o, 'interactive', {
      interactive: {
        type: 'list_reply',
        list_reply: { id: 'plan-gold', title: 'Gold plan', description: 'Full cover' },
      },
    }),
  button: (o: MessageOptions) =>
    message(o, 'button', {
      context: { from: '15550001234', id: 'wamid.OUTBOUND-TEMPLATE' },
      button: { text: 'Yes, renew', payload: 'RENEW_YES' },
    }),
  reaction: (o: MessageOptions, messageId = 'wamid.OUTBOUND-REACTED') =>
    message(o, 'reaction', { reaction: { message_id: messageId, emoji: '👍' } }),
  unsupported: (o: MessageOptions) =>
    message(o, 'unsupported', {
      errors: [
        {
          code: 131051,
          title: 'Message type unknown',
          message: 'Message type unknown',
          error_data: { details: 'Message type is currently not supported.' },
        },
      ],
    }),
}

export function status(
  id: string,
  name: 'sent' | 'delivered' | 'read' | 'failed',
  options: {
    recipient?: string
    timestamp?: string
    error?: { code: number; title: string }
    /** WhatsApp's pricing object, e.g. {billable: true, pricing_model: 'PMP', category: 'marketing'}. */
    pricing?: Record<string, unknown>
  } = {}
) {
  return {
    id,
    status: name,
    timestamp: options.timestamp ?? unix(),
    recipient_id: options.recipient ?? '15551234567',
    ...(options.pricing ? { pricing: options.pricing } : {}),
    ...(name === 'failed' && options.error
      ? {
          errors: [
            {
              code: options.error.code,
              title: options.error.title,
              message: options.error.title,
              error_data: { details: options.error.title },
            },
          ],
        }
      : {}),
  }
}

/** A full webhook body for one number: messages with their sender's profile, or statuses. */
export function webhook(
  channel: Pick<WhatsAppTenant, 'phoneNumberId' | 'wabaId'>,
  content: {
    messages?: Array<ReturnType<typeof message>>
    statuses?: Array<ReturnType<typeof status>>
    profiles?: Record<string, string>
  }
) {
  const value: Record<string, unknown> = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '15550001234', phone_number_id: channel.phoneNumberId },
  }
  if (content.messages) {
    const senders = [...new Set(content.messages.map((m) => m.from))]
    value.contacts = senders.map((sender) => ({
      profile: { name: content.profiles?.[sender] ?? `Customer ${sender.slice(-4)}` },
      wa_id: sender,
    }))
    value.messages = content.messages
  }
  if (content.statuses) value.statuses = content.statuses
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: channel.wabaId, changes: [{ value, field: 'messages' }] }],
  }
}

export function sign(rawBody: string | Buffer, secret: string) {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`
}

/**
 * POSTs a webhook. `body` is sent as is when a string (exact bytes), else
 * JSON-encoded; signed with `secret` unless a signature (or null: none) is given.
 */
export async function postWebhook(
  body: string | object,
  secret: string,
  options: { signature?: string | null } = {}
) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body)
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  const signature = options.signature === undefined ? sign(raw, secret) : options.signature
  if (signature !== null) headers['X-Hub-Signature-256'] = signature
  const response = await fetch(baseUrl('/webhooks/whatsapp'), {
    method: 'POST',
    headers,
    body: raw,
  })
  const text = await response.text()
  let json: any = null
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: response.status, text, json, headers: response.headers }
}

/**
 * Workers for the inbound queue in a pool of the test's own: stopping it
 * leaves the suite's mail worker running.
 */
export async function startInboundWorkers() {
  const logger = await app.container.make('logger')
  const pool = new WorkerPool(app, logger)
  pool.start(['inbound'])
  return pool
}

export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  ms = 20_000
): Promise<T> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const value = await probe()
    if (value) return value
    await sleep(100)
  }
  throw new Error(`condition not met within ${ms} ms`)
}

/** A contact who last wrote `hoursAgo` hours ago, with their open conversation. */
export async function customer(
  context: TenantContext,
  channel: Pick<Channel, 'id'>,
  options: { hoursAgo?: number; optedOut?: boolean; labels?: string[]; status?: string } = {}
) {
  return context.transaction(async (trx) => {
    const phone = `+1555${randomBytes(3).readUIntBE(0, 3).toString().padStart(7, '0')}`
    const [contact] = await trx
      .table('contacts')
      .insert({
        phone,
        wa_id: phone.slice(1),
        source: 'whatsapp',
        opt_in: options.optedOut ? 'opted_out' : 'unknown',
      })
      .returning('id')
    const wrote = DateTime.now()
      .minus({ hours: options.hoursAgo ?? 1 })
      .toJSDate()
    const [conversation] = await trx
      .table('conversations')
      .insert({
        contact_id: contact.id,
        channel_id: channel.id,
        status: options.status ?? 'open',
        labels: options.labels ?? [],
        last_customer_message_at: wrote,
        last_message_at: wrote,
      })
      .returning('id')
    return { contactId: contact.id as string, conversationId: conversation.id as string, phone }
  })
}
