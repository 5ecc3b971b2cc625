import { conversationById, contactById, Conversation, Contact } from '#modules/inbox/index'
import { randomUUID } from 'node:crypto'
import emitter from '@adonisjs/core/services/emitter'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import Message from '../models/message.js'
import Channel from '../models/channel.js'
import MessageTemplate from '../models/message_template.js'
import { ChannelError } from './channel_errors.js'
import {
  checkOutboundContent,
  isFreeForm,
  storedMediaOf,
  storedType,
  summaryOf,
  type OutboundContent,
} from './outbound_content.js'
import SendMessageJob from '../jobs/send_message_job.js'

export interface OutboundRequest {
  conversationId: string
  content: OutboundContent
  authorType: 'agent' | 'assistant' | 'system'
  authorId?: string | null
  /**
   * The sender's key for this message: asking again with the same key
   * returns the first message instead of sending another.
   */
  idempotencyKey?: string | null
  /**
   * The conversation, its contact and its channel as the caller read them
   * for this very request (the API reads them to choose the conversation):
   * not read again.
   */
  loaded?: { conversation: Conversation; contact: Contact; channel: Channel }
  /**
   * A write that must commit with the message, and only if this request
   * stores it (the API's idempotent answer): it runs inside the insert's own
   * statement, saving a round trip. Given the message as it will be stored
   * and an SQL condition that holds once it is; returns an UPDATE or INSERT
   * (with `?` bindings) to run as a CTE of that statement.
   */
  alongside?: (message: PlannedMessage, stored: string) => { sql: string; bindings: unknown[] }
  /**
   * A write the message depends on (an UPDATE ... RETURNING that claims a
   * row): it runs first in the insert's statement and the message is stored
   * only if it returned a row. Its row lock orders it against a racing
   * write (a cancel): that one commits first and nothing is stored, or it
   * waits for this one. When it returned nothing, a ChannelError with code
   * `precondition_failed` (409).
   */
  requires?: (message: PlannedMessage) => { sql: string; bindings: unknown[] }
}

/** A message as queueOutboundMessage will store it, known before it is (for `alongside`). */
export interface PlannedMessage {
  id: string
  status: 'pending'
  conversationId: string
  contactId: string
  channelId: string
  type: string
  createdAt: DateTime
}

/**
 * The one door for every outbound message (inbox, API, assistant, pulse):
 * checks it, records it as pending and queues its delivery. Refusals are
 * ChannelErrors with a code: invalid_message (with fields), window_closed,
 * contact_opted_out, channel_disabled, not_found.
 */
export async function queueOutboundMessage(
  tenant: TenantContext,
  request: OutboundRequest
): Promise<Message> {
  const problems = checkOutboundContent(request.content)
  if (problems.length) {
    const error = new ChannelError('invalid_message', problems[0].message)
    ;(error as ChannelError & { fields?: unknown }).fields = problems
    throw error
  }

  // Single reads name the tenant's schema: no transaction (BEGIN, SET
  // LOCAL, COMMIT) is needed around one statement.
  const key = request.idempotencyKey ?? null
  let rows: Awaited<ReturnType<typeof sendableRows>>
  try {
    rows = await sendableRows(tenant, request)
  } catch (error) {
    // A repeat of a send already made answers with that message, even when
    // it could not be made now (the window closed since). A repeat that
    // passes the checks meets the first message at the insert instead, so
    // the first send costs no lookup.
    if (key && error instanceof ChannelError) {
      const earlier = await tenant.query(Message).where('idempotency_key', key).first()
      if (earlier) return earlier
    }
    throw error
  }
  const { conversation, contact, channel } = rows

  // The message and its conversation's new times in one statement (atomic
  // without a transaction); the stored row comes back from the insert. With
  // a write alongside, the id and time are chosen here so that the caller
  // can write what it will answer in this same statement.
  const now = new Date()
  const planned: PlannedMessage | null =
    request.alongside || request.requires
      ? {
          id: randomUUID(),
          status: 'pending',
          conversationId: conversation.id,
          contactId: contact.id,
          channelId: channel.id,
          type: storedType(request.content),
          createdAt: DateTime.fromJSDate(now),
        }
      : null
  const alongside =
    planned && request.alongside
      ? request.alongside(planned, 'exists (select 1 from inserted)')
      : null
  const required = planned && request.requires ? request.requires(planned) : null
  // A select rather than VALUES so that a required write can gate it; the
  // casts name the types VALUES would have taken from the columns.
  const inserted = await db.rawQuery(
    `with ${required ? `required as (${required.sql}),` : ''}
     inserted as (
       insert into ${tenant.table('messages')}
         (id, created_at, conversation_id, contact_id, channel_id, direction, idempotency_key,
          type, body, payload, media, status, author_type, author_id)
       select coalesce(?::uuid, gen_random_uuid()), coalesce(?::timestamptz, now()),
              ?::uuid, ?::uuid, ?::uuid, 'outbound', ?::text, ?::text, ?::text, ?::jsonb,
              ?::jsonb, 'pending', ?::text, ?::uuid
       ${required ? 'where exists (select 1 from required)' : ''}
       on conflict (idempotency_key) do nothing
       returning *),
     touched as (
       update ${tenant.table('conversations')} set last_message_at = ?, updated_at = ?
        where id = ? and exists (select 1 from inserted))${
          alongside
            ? `,
     alongside as (${alongside.sql})`
            : ''
        }
     select * from inserted`,
    [
      ...(required?.bindings ?? []),
      planned?.id ?? null,
      planned ? now : null,
      conversation.id,
      contact.id,
      channel.id,
      key,
      storedType(request.content),
      summaryOf(request.content),
      JSON.stringify({ content: request.content }),
      storedMediaOf(request.content),
      request.authorType,
      request.authorId ?? null,
      now,
      now,
      conversation.id,
      ...(alongside?.bindings ?? []),
    ]
  )
  const row = inserted.rows[0]
  if (!row && required) {
    const earlier = key ? await tenant.query(Message).where('idempotency_key', key).first() : null
    if (earlier) return earlier
    throw new ChannelError(
      'precondition_failed',
      'Not sent: what this message depended on changed first',
      409
    )
  }
  const message = row
    ? { stored: Message.$createFromAdapterResult(row)!, created: true }
    : // Lost a race with the same key: the other request's message stands.
      {
        stored: await tenant.query(Message).where('idempotency_key', key!).firstOrFail(),
        created: false,
      }

  if (message.created) {
    await dispatchTenantJob(
      SendMessageJob,
      tenant,
      { messageId: message.stored.id },
      { jobId: `send-${tenant.slug}-${message.stored.id}` }
    )
    await emitter.emit('message:sent', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      messageId: message.stored.id,
      conversationId: conversation.id,
      contactId: contact.id,
      channelId: channel.id,
      type: message.stored.type,
      isNote: false,
      authorType: request.authorType,
      authorId: request.authorId ?? null,
    })
  }
  return message.stored
}

/** The rows a send goes to, once every rule allows it; else the ChannelError saying why not. */
async function sendableRows(tenant: TenantContext, request: OutboundRequest) {
  const { conversation, contact, channel } = await sendingRows(tenant, request)
  if (!channel || channel.status !== 'active') {
    throw new ChannelError('channel_disabled', 'This conversation’s channel is not active')
  }
  if (contact.optIn === 'opted_out' && request.authorType !== 'system') {
    throw new ChannelError('contact_opted_out', 'This contact has opted out of messages')
  }
  if (isFreeForm(request.content) && channel.type === 'whatsapp' && !conversation.isWindowOpen()) {
    throw new ChannelError(
      'window_closed',
      'More than 24 hours since the customer last wrote: send an approved template instead'
    )
  }

  if (channel.type === 'webchat') refuseOnWebchat(request.content)

  if (request.content.type === 'template' && channel.type === 'whatsapp') {
    await checkTemplate(tenant, channel.id, request.content)
  }
  return { conversation, contact, channel }
}

/** The conversation, contact and channel a send goes to: as the caller read them, else read now. */
async function sendingRows(tenant: TenantContext, request: OutboundRequest) {
  if (request.loaded) {
    const { conversation, contact, channel } = request.loaded
    if (
      conversation.id !== request.conversationId ||
      conversation.contactId !== contact.id ||
      conversation.channelId !== channel.id
    ) {
      throw new Error('queueOutboundMessage: the loaded rows are not one conversation’s')
    }
    return request.loaded
  }
  const conversation = await conversationById(tenant, request.conversationId)
  const contact = conversation ? await contactById(tenant, conversation.contactId) : null
  if (!conversation || !contact) throw new ChannelError('not_found', 'No such conversation', 404)
  // Central: the query names no tenant schema.
  const channel = await Channel.query()
    .where('id', conversation.channelId)
    .where('tenant_id', tenant.id)
    .first()
  return { conversation, contact, channel }
}

/**
 * A template goes out only if WhatsApp approved it (as of the last sync) and
 * the send fills exactly the variables its body has: WhatsApp would refuse
 * anything else, after the agent had already moved on.
 */
async function checkTemplate(
  tenant: TenantContext,
  channelId: string,
  content: Extract<OutboundContent, { type: 'template' }>
) {
  // One read naming the schema: no transaction around it (one round trip, not four).
  const template = await tenant
    .query(MessageTemplate)
    .where('channel_id', channelId)
    .where('name', content.name)
    .where('language', content.language)
    .first()
  const refuse = (field: string, message: string): never => {
    const error = new ChannelError('invalid_message', message)
    ;(error as ChannelError & { fields?: unknown }).fields = [{ field, message }]
    throw error
  }
  if (!template) {
    refuse(
      'name',
      `No template "${content.name}" in ${content.language}; sync templates if it is new`
    )
  } else if (!template.isApproved) {
    refuse('name', `Template "${content.name}" is ${template.status.toLowerCase()}, not approved`)
  } else if ((content.variables ?? []).length !== template.bodyVariables) {
    refuse('variables', `Template "${content.name}" takes ${template.bodyVariables} variables`)
  }
}

/**
 * The web chat widget shows text, media by link and choices (buttons and
 * lists); WhatsApp templates and files uploaded to WhatsApp mean nothing there.
 */
function refuseOnWebchat(content: OutboundContent) {
  const refuse = (field: string, message: string): never => {
    const error = new ChannelError('invalid_message', message)
    ;(error as ChannelError & { fields?: unknown }).fields = [{ field, message }]
    throw error
  }
  if (content.type === 'template') {
    refuse('type', 'Templates are for WhatsApp; write a normal message in web chat')
  }
  // Uploaded files live in the tenant's private storage, which a visitor
  // cannot reach yet: a link is what the widget can show.
  if (('mediaId' in content && content.mediaId) || ('file' in content && content.file)) {
    refuse('link', 'Web chat shows files by link; give a public https:// link')
  }
}
