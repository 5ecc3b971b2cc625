import { DateTime } from 'luxon'
import emitter from '@adonisjs/core/services/emitter'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import Conversation from '../models/conversation.js'
import Contact from '../models/contact.js'
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

  const key = request.idempotencyKey ?? null
  if (key) {
    const earlier = await tenant.transaction((trx) =>
      Message.query({ client: trx }).where('idempotency_key', key).first()
    )
    if (earlier) return earlier
  }

  const found = await tenant.transaction(async (trx) => {
    const conversation = await Conversation.query({ client: trx })
      .where('id', request.conversationId)
      .first()
    const contact = conversation
      ? await Contact.query({ client: trx }).where('id', conversation.contactId).first()
      : null
    return conversation && contact ? { conversation, contact } : null
  })
  if (!found) throw new ChannelError('not_found', 'No such conversation', 404)
  const { conversation, contact } = found

  // Central: read outside the tenant transaction, whose search_path is the tenant's.
  const channel = await Channel.query()
    .where('id', conversation.channelId)
    .where('tenant_id', tenant.id)
    .first()
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

  const message = await tenant.transaction(async (trx) => {
    const row: Array<{ id: string }> = await trx
      .insertQuery()
      .table('messages')
      .insert({
        conversation_id: conversation.id,
        contact_id: contact.id,
        channel_id: channel.id,
        direction: 'outbound',
        idempotency_key: key,
        type: storedType(request.content),
        body: summaryOf(request.content),
        payload: JSON.stringify({ content: request.content }),
        media: storedMediaOf(request.content),
        status: 'pending',
        author_type: request.authorType,
        author_id: request.authorId ?? null,
      })
      .knexQuery.onConflict('idempotency_key')
      .ignore()
      .returning('id')
    const id = row[0]?.id
    // Lost a race with the same key: the other request's message stands.
    const stored = id
      ? await Message.query({ client: trx }).where('id', id).firstOrFail()
      : await Message.query({ client: trx }).where('idempotency_key', key!).firstOrFail()
    if (id) {
      await trx
        .from('conversations')
        .where('id', conversation.id)
        .update({ last_message_at: DateTime.now().toJSDate(), updated_at: new Date() })
    }
    return { stored, created: !!id }
  })

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
  const template = await tenant.transaction((trx) =>
    MessageTemplate.query({ client: trx })
      .where('channel_id', channelId)
      .where('name', content.name)
      .where('language', content.language)
      .first()
  )
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
