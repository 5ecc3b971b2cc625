import {
  activeConversationsFor,
  contactsOfSenders,
  channelHasConversations,
  contactIn,
  contactByWaIdIn,
  currentConversationIn,
  numberTalksElsewhere,
  recentContactsOn,
  Contact,
} from '#modules/inbox/index'
import { createHash, randomBytes } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import type { TenantContext } from '#modules/tenancy/index'
import Channel from '../models/channel.js'
import Message from '../models/message.js'
import MessageTemplate from '../models/message_template.js'
import { ChannelError } from './channel_errors.js'
import { storeWebhookEvents } from './webhook_store.js'
import { orderingOf, type WaMessage, type WaStatus, type WaWebhook } from './whatsapp_payload.js'
import { normalizeE164 } from '#app/validation/phone_rule'

/*
| The sandbox phone: a simulated customer inside the workspace. What the
| customer does becomes a WhatsApp Cloud API webhook body, Meta's shape
| exactly, stored in webhook_events and processed by the same jobs as a
| real one (contacts, conversations, ordering, message:received and all
| that listens to it). There is no signature to check: the request is a
| signed-in member's, and the channel is the tenant's own sandbox.
*/

export interface SandboxCustomer {
  name: string
  /** E.164. */
  phone: string
  /** WhatsApp's id for the number: its digits. */
  waId: string
}

/** What the simulated customer does. */
export type CustomerAction =
  | { kind: 'text'; text: string }
  | { kind: 'button'; messageId: string; choice: string }
  | { kind: 'list'; messageId: string; choice: string }
  | { kind: 'template_button'; messageId: string; choice: string }
  | { kind: 'location'; latitude: number; longitude: number; name?: string; address?: string }

export const MAX_TEXT = 4096

export function sandboxChannelOf(tenantId: string) {
  return Channel.query().where('tenant_id', tenantId).where('type', 'sandbox').first()
}

export function customerFrom(name: string | null | undefined, phone: string | null | undefined) {
  const e164 = normalizeE164(String(phone ?? ''))
  if (!e164) return null
  const cleanName = String(name ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100)
  return { name: cleanName, phone: e164, waId: e164.slice(1) } satisfies SandboxCustomer
}

/** Whether anyone has written from the sandbox phone yet (getting started). */
export async function sandboxTried(tenant: TenantContext) {
  const channel = await sandboxChannelOf(tenant.id)
  if (!channel) return false
  return channelHasConversations(tenant, channel.id)
}

/**
 * A member's own simulated customer, the same every visit: a number in the
 * +1 555 range that telephone plans keep for fiction, derived from who they
 * are and where.
 */
export function defaultCustomer(user: { id: string }, tenantId: string, name: string) {
  const digits = createHash('sha256').update(`${tenantId}:${user.id}`).digest().readUInt32BE(0)
  const phone = `+1555${String(digits % 10_000_000).padStart(7, '0')}`
  return customerFrom(name, phone)!
}

/**
 * The sandbox customer's contact and open conversation on the sandbox
 * channel, made as their first message would make them (and announced the
 * same way): "Try it" starts a flow there before the customer wrote.
 */
export async function sandboxConversationOf(
  tenant: TenantContext,
  channel: Channel,
  customer: SandboxCustomer
) {
  await assertSandboxNumber(tenant, channel.id, customer)
  const found = await tenant.transaction(async (trx) => {
    const senders = await contactsOfSenders(trx, tenant, [
      { waId: customer.waId, phone: customer.phone, profileName: customer.name || null },
    ])
    const contactId = senders.contacts.get(customer.waId)!
    const conversations = await activeConversationsFor(trx, tenant, [
      { contactId, channelId: channel.id },
    ])
    return { contactId, conversationId: conversations.ids[0], senders, conversations }
  })
  for (const data of found.senders.created) await emitter.emit('contact:created', data)
  for (const data of found.conversations.created) await emitter.emit('conversation:created', data)
  return { contactId: found.contactId, conversationId: found.conversationId }
}

/**
 * A number that is a real customer's (they wrote on another channel) cannot
 * be played: the sandbox would write into that person's contact record.
 */
export async function assertSandboxNumber(
  tenant: TenantContext,
  sandboxChannelId: string,
  customer: SandboxCustomer
) {
  if (await numberTalksElsewhere(tenant, customer, sandboxChannelId)) {
    throw new ChannelError(
      'real_customer',
      'This number belongs to a real customer; pick another for the sandbox'
    )
  }
}

/** A fresh WhatsApp-style message id: "wamid." and a unique tail. */
export function sandboxWamid() {
  return `wamid.SANDBOX${randomBytes(18).toString('base64url')}`
}

function unixNow() {
  return String(Math.floor(Date.now() / 1000))
}

/** The webhook body WhatsApp would send the sandbox number, with one change value. */
function webhookBody(channel: Channel, value: Record<string, unknown>): WaWebhook {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: `sandbox-${channel.id}`,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: 'sandbox', phone_number_id: channel.id },
              ...value,
            },
          },
        ],
      },
    ],
  }
}

/** Stores a sandbox webhook exactly as a verified WhatsApp webhook is stored, and queues it. */
async function storeSandboxWebhook(tenant: TenantContext, channel: Channel, body: WaWebhook) {
  const [stored] = await storeWebhookEvents([
    {
      provider: 'whatsapp',
      channelId: channel.id,
      tenantId: tenant.id,
      tenantSlug: tenant.slug,
      payload: JSON.stringify(body),
      ...orderingOf(body),
    },
  ])
  // Not routed by number, so always stored.
  return stored!
}

/**
 * The outbound message a tap answers, if it is one the business sent this
 * customer on the sandbox.
 */
async function tappedMessage(
  tenant: TenantContext,
  channel: Channel,
  customer: SandboxCustomer,
  messageId: string
) {
  if (!/^[0-9a-f-]{36}$/i.test(messageId)) return null
  return tenant.transaction(async (trx) => {
    const message = await Message.query({ client: trx })
      .where('id', messageId)
      .where('channel_id', channel.id)
      .where('direction', 'outbound')
      .where('is_note', false)
      .first()
    if (!message) return null
    const contact = await contactIn(trx, message.contactId)
    return contact?.waId === customer.waId ? message : null
  })
}

function choiceError(): never {
  throw new ChannelError('invalid_choice', 'That choice is not on the message any more', 422)
}

/** The customer's action as the WhatsApp message object Meta would deliver. */
async function whatsAppMessage(
  tenant: TenantContext,
  channel: Channel,
  customer: SandboxCustomer,
  action: CustomerAction
): Promise<WaMessage> {
  const base = { from: customer.waId, id: sandboxWamid(), timestamp: unixNow() }
  if (action.kind === 'text') {
    const text = action.text.trim()
    if (!text || [...action.text].length > MAX_TEXT) {
      throw new ChannelError('invalid_text', `Write 1 to ${MAX_TEXT} characters`)
    }
    return { ...base, type: 'text', text: { body: action.text } }
  }
  if (action.kind === 'location') {
    const { latitude, longitude } = action
    if (
      !Number.isFinite(latitude) ||
      !Number.isFinite(longitude) ||
      Math.abs(latitude) > 90 ||
      Math.abs(longitude) > 180
    ) {
      throw new ChannelError('invalid_location', 'A latitude (±90) and a longitude (±180)')
    }
    return {
      ...base,
      type: 'location',
      location: {
        latitude,
        longitude,
        ...(action.name ? { name: action.name.slice(0, 200) } : {}),
        ...(action.address ? { address: action.address.slice(0, 300) } : {}),
      },
    }
  }

  const tapped = await tappedMessage(tenant, channel, customer, action.messageId)
  if (!tapped?.externalId) choiceError()
  const content = (tapped.payload?.content ?? {}) as Record<string, any>
  const context = { from: channel.id, id: tapped.externalId }
  if (action.kind === 'button') {
    const button = (Array.isArray(content.buttons) ? content.buttons : []).find(
      (b: any) => String(b?.id) === action.choice
    )
    if (content.type !== 'buttons' || !button) choiceError()
    return {
      ...base,
      type: 'interactive',
      context,
      interactive: {
        type: 'button_reply',
        button_reply: { id: String(button.id), title: String(button.title) },
      },
    }
  }
  if (action.kind === 'list') {
    const rows = (Array.isArray(content.sections) ? content.sections : []).flatMap((s: any) =>
      Array.isArray(s?.rows) ? s.rows : []
    )
    const row = rows.find((r: any) => String(r?.id) === action.choice)
    if (content.type !== 'list' || !row) choiceError()
    return {
      ...base,
      type: 'interactive',
      context,
      interactive: {
        type: 'list_reply',
        list_reply: {
          id: String(row.id),
          title: String(row.title),
          ...(row.description ? { description: String(row.description) } : {}),
        },
      },
    }
  }
  // A template's quick reply arrives as a "button" message carrying its text.
  if (content.type !== 'template') choiceError()
  const template = await templateFor(tenant, content.name, content.language)
  const replies = template ? quickRepliesOf(template.components) : []
  const text = replies[Number(action.choice)]
  if (!/^\d+$/.test(action.choice) || !text) choiceError()
  return { ...base, type: 'button', context, button: { text, payload: text } }
}

/**
 * The simulated customer does something: the webhook is stored and queued
 * like any WhatsApp webhook. Returns the new message's wamid.
 */
export async function sendAsCustomer(
  tenant: TenantContext,
  channel: Channel,
  customer: SandboxCustomer,
  action: CustomerAction
): Promise<string> {
  if (channel.type !== 'sandbox' || channel.tenantId !== tenant.id) {
    throw new ChannelError('not_sandbox', 'Not this workspace’s sandbox phone', 404)
  }
  if (channel.status !== 'active') {
    throw new ChannelError('channel_disabled', 'The sandbox phone is turned off')
  }
  await assertSandboxNumber(tenant, channel.id, customer)
  const message = await whatsAppMessage(tenant, channel, customer, action)
  const body = webhookBody(channel, {
    contacts: [{ profile: { name: customer.name || customer.phone }, wa_id: customer.waId }],
    messages: [message],
  })
  await storeSandboxWebhook(tenant, channel, body)
  return message.id
}

/**
 * The customer opens the chat: every message the business sent them that is
 * not read yet gets a "read" status, as a status webhook through the same
 * path as WhatsApp's, so the ticks turn blue in the inbox. Returns how many.
 */
export async function markReadAsCustomer(
  tenant: TenantContext,
  channel: Channel,
  customer: SandboxCustomer
): Promise<number> {
  const unread = await tenant.transaction(async (trx) => {
    const contact = await contactByWaIdIn(trx, customer.waId)
    if (!contact) return []
    const found = await trx.rawQuery(
      `select external_id from messages
        where channel_id = ? and contact_id = ? and direction = 'outbound'
          and is_note = false and external_id is not null and status in ('sent', 'delivered')
        order by created_at`,
      [channel.id, contact.id]
    )
    return (found.rows as Array<{ external_id: string }>).map((row) => row.external_id)
  })
  if (!unread.length) return 0
  const timestamp = unixNow()
  const statuses: WaStatus[] = unread.map((id) => ({
    id,
    status: 'read',
    timestamp,
    recipient_id: customer.waId,
  }))
  await storeSandboxWebhook(tenant, channel, webhookBody(channel, { statuses }))
  return unread.length
}

async function templateFor(tenant: TenantContext, name: unknown, language: unknown) {
  if (typeof name !== 'string' || typeof language !== 'string') return null
  return tenant.transaction((trx) =>
    MessageTemplate.query({ client: trx })
      .where('name', name)
      .where('language', language)
      .orderByRaw(`(status = 'APPROVED') desc`)
      .orderBy('updated_at', 'desc')
      .first()
  )
}

function quickRepliesOf(components: Array<Record<string, any>>): string[] {
  const buttons = components.find((c) => String(c.type).toUpperCase() === 'BUTTONS')
  return (Array.isArray(buttons?.buttons) ? buttons.buttons : [])
    .filter((b: any) => String(b?.type).toUpperCase() === 'QUICK_REPLY')
    .map((b: any) => String(b.text ?? ''))
}

/* ---------------------------------------------------------------------- */
/* What the phone shows                                                    */
/* ---------------------------------------------------------------------- */

export interface PhoneBubble {
  id: string
  direction: 'inbound' | 'outbound'
  at: Date
  kind: string
  text: string | null
  header: string | null
  footer: string | null
  /** A tapped reply (customer side). */
  reply: string | null
  location: {
    name: string | null
    address: string | null
    latitude: number
    longitude: number
  } | null
  media: { kind: string; url: string | null; filename: string | null; link: string | null } | null
  /** Reply buttons (interactive buttons) the customer can tap. */
  buttons: Array<{ id: string; title: string }>
  /** A list message: its button and rows. */
  list: {
    button: string
    sections: Array<{
      title: string | null
      rows: Array<{ id: string; title: string; description: string | null }>
    }>
  } | null
  /** A template's buttons: quick replies (tappable, by index) and links/calls (shown). */
  templateButtons: Array<{
    index: number | null
    kind: string
    text: string
    target: string | null
  }>
  templateName: string | null
  tick: 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | null
  failure: string | null
}

export interface PendingBubble {
  text: string
  at: Date
}

export interface PhoneChat {
  contact: Contact | null
  conversationId: string | null
  bubbles: PhoneBubble[]
  /** What the customer sent that the pipeline has not stored yet. */
  pending: PendingBubble[]
  /**
   * The pipeline still has this phone's webhooks (messages, read receipts)
   * to process: the page asks again shortly, whatever the live stream says.
   */
  settling: boolean
  unreadByCustomer: number
}

const CHAT_LENGTH = 60

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

function fill(text: string, values: string[]) {
  return text.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n) => values[Number(n) - 1] ?? whole)
}

function bubbleOf(
  message: Message,
  base: string,
  templates: Map<string, MessageTemplate>
): PhoneBubble {
  const payload = (message.payload ?? {}) as Record<string, any>
  const content = (payload.content ?? null) as Record<string, any> | null
  const bubble: PhoneBubble = {
    id: message.id,
    direction: message.direction,
    at: (message.providerTimestamp ?? message.createdAt).toJSDate(),
    kind: message.type,
    text: message.body,
    header: null,
    footer: null,
    reply: null,
    location: null,
    media: null,
    buttons: [],
    list: null,
    templateButtons: [],
    templateName: null,
    tick: null,
    failure: null,
  }
  if (message.direction === 'outbound') {
    bubble.tick =
      message.status === 'pending' || message.status === 'queued' || message.status === 'received'
        ? 'pending'
        : message.status
    if (message.status === 'failed') bubble.failure = message.errorTitle
  }
  if (['image', 'audio', 'video', 'document', 'sticker'].includes(message.type)) {
    const stored = message.media?.status === 'stored'
    bubble.media = {
      kind: message.type,
      url: stored ? `${base}/media/${message.id}` : null,
      filename: message.media?.filename ?? str(content?.filename),
      link: str(content?.link),
    }
    bubble.text = message.media?.caption ?? str(content?.caption)
    return bubble
  }
  if (message.type === 'location') {
    const latitude = Number(payload.latitude)
    const longitude = Number(payload.longitude)
    if (Number.isFinite(latitude) && Number.isFinite(longitude)) {
      bubble.location = {
        name: str(payload.name),
        address: str(payload.address),
        latitude,
        longitude,
      }
      bubble.text = null
    }
    return bubble
  }
  if (message.direction === 'inbound') {
    if (message.type === 'interactive' || message.type === 'button') {
      bubble.reply = str(payload.title) ?? str(payload.text) ?? message.body
      bubble.text = null
    }
    return bubble
  }
  if (!content) return bubble
  if (content.type === 'text') bubble.text = str(content.text) ?? message.body
  if (content.type === 'buttons' || content.type === 'list') {
    bubble.text = str(content.body) ?? message.body
    bubble.header = str(content.header)
    bubble.footer = str(content.footer)
  }
  if (content.type === 'buttons') {
    bubble.buttons = (Array.isArray(content.buttons) ? content.buttons : []).map((b: any) => ({
      id: String(b?.id ?? ''),
      title: String(b?.title ?? ''),
    }))
  }
  if (content.type === 'list') {
    bubble.list = {
      button: str(content.button) ?? '',
      sections: (Array.isArray(content.sections) ? content.sections : []).map((s: any) => ({
        title: str(s?.title),
        rows: (Array.isArray(s?.rows) ? s.rows : []).map((r: any) => ({
          id: String(r?.id ?? ''),
          title: String(r?.title ?? ''),
          description: str(r?.description),
        })),
      })),
    }
  }
  if (content.type === 'template') {
    bubble.templateName = str(content.name)
    const values = Array.isArray(content.variables) ? content.variables.map(String) : []
    const template = templates.get(`${content.name}|${content.language}`)
    const components = template?.components ?? []
    const part = (type: string) => components.find((c) => String(c.type).toUpperCase() === type)
    const header = part('HEADER')
    const body = str(part('BODY')?.text)
    bubble.header =
      header && String(header.format ?? 'TEXT').toUpperCase() === 'TEXT' ? str(header.text) : null
    bubble.text = body ? fill(body, values) : values.length ? values.join(' · ') : message.body
    bubble.footer = str(part('FOOTER')?.text)
    let replyIndex = 0
    bubble.templateButtons = (
      Array.isArray(part('BUTTONS')?.buttons) ? part('BUTTONS')!.buttons : []
    ).map((b: any) => {
      const kind = String(b?.type ?? '').toUpperCase()
      return {
        index: kind === 'QUICK_REPLY' ? replyIndex++ : null,
        kind,
        text: String(b?.text ?? ''),
        target: str(b?.url) ?? str(b?.phone_number),
      }
    })
  }
  return bubble
}

/**
 * The customer's side of the chat with the business on the sandbox: every
 * conversation's messages (internal notes never), oldest first, and what
 * they sent that is still on its way through the pipeline.
 */
export async function sandboxChat(
  tenant: TenantContext,
  channel: Channel,
  customer: SandboxCustomer,
  base: string
): Promise<PhoneChat> {
  // Recent only: an event stuck in the queue must not keep the phone asking for ever.
  const pendingEvents = await db.rawQuery(
    `select payload, received_at, senders from webhook_events
      where tenant_id = ? and channel_id = ? and processed_at is null
        and received_at > now() - interval '2 minutes'
      order by id limit 20`,
    [tenant.id, channel.id]
  )
  const found = await tenant.transaction(async (trx) => {
    const contact = await contactByWaIdIn(trx, customer.waId)
    if (!contact) return null
    const conversation = await currentConversationIn(trx, contact.id, channel.id)
    const newestFirst = await Message.query({ client: trx })
      .where('contact_id', contact.id)
      .where('channel_id', channel.id)
      .where('is_note', false)
      .orderByRaw('sort_at desc, seq desc')
      .limit(CHAT_LENGTH)
    const messages = newestFirst.reverse()
    const wanted = messages
      .map((m) => m.payload?.content as Record<string, any> | undefined)
      .filter((c) => c?.type === 'template')
    const templates = new Map<string, MessageTemplate>()
    for (const content of wanted) {
      const key = `${content!.name}|${content!.language}`
      if (templates.has(key)) continue
      const template = await MessageTemplate.query({ client: trx })
        .where('name', String(content!.name))
        .where('language', String(content!.language))
        .orderByRaw(`(status = 'APPROVED') desc`)
        .first()
      if (template) templates.set(key, template)
    }
    return { contact, conversation, messages, templates }
  })
  const stored = new Set(found?.messages.map((m) => m.externalId) ?? [])
  const pending: PendingBubble[] = []
  for (const row of pendingEvents.rows as Array<{ payload: WaWebhook; received_at: Date }>) {
    for (const entry of row.payload.entry ?? []) {
      for (const change of entry.changes ?? []) {
        for (const message of change.value?.messages ?? []) {
          if (message.from !== customer.waId || stored.has(message.id)) continue
          pending.push({ text: pendingText(message), at: row.received_at })
        }
      }
    }
  }
  const settling = pendingEvents.rows.length > 0
  if (!found) {
    return {
      contact: null,
      conversationId: null,
      bubbles: [],
      pending,
      settling,
      unreadByCustomer: 0,
    }
  }
  const bubbles = found.messages.map((m) => bubbleOf(m, base, found.templates))
  return {
    contact: found.contact,
    conversationId: found.conversation?.id ?? null,
    bubbles,
    pending,
    settling,
    unreadByCustomer: bubbles.filter((b) => b.tick === 'sent' || b.tick === 'delivered').length,
  }
}

function pendingText(message: WaMessage) {
  return (
    message.text?.body ??
    message.interactive?.button_reply?.title ??
    message.interactive?.list_reply?.title ??
    message.button?.text ??
    message.location?.name ??
    (message.location ? `${message.location.latitude}, ${message.location.longitude}` : '')
  )
}

/** The simulated customers this workspace has played, most recent first. */
export async function recentSandboxCustomers(tenant: TenantContext, channel: Channel) {
  const rows = await recentContactsOn(tenant, channel.id, 8)
  return rows
    .map((row) => customerFrom(row.name, row.phone ?? `+${row.wa_id}`))
    .filter((customer): customer is SandboxCustomer => customer !== null)
}
