import { createHash } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import type { DateTime } from 'luxon'
import {
  type Channel,
  ChannelError,
  messageById,
  findTenantChannel,
  queueOutboundMessage,
  type OutboundContent,
} from '#modules/channels/index'
import {
  type Contact,
  type Conversation,
  ContactError,
  contactForSend,
  conversationForSend,
  createContact,
} from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { CentralCache } from '#app/cache/central_cache'
import {
  ApiError,
  type FieldErrors,
  validateApiBody,
  idempotent,
  type AnswerRecorder,
  type ApiResult,
  sendJson,
} from '#app/http/api/index'
import { presentMessage } from '../../services/api_presenters.js'
import { sendMessageBody } from '../../validators/message_api_validator.js'

type SendInput = Awaited<ReturnType<typeof sendMessageBody.validator.validate>>

/** The channels module's refusals, as the API names them. */
const REFUSALS: Record<string, { status: number; code: string }> = {
  window_closed: { status: 422, code: 'outside_window' },
  contact_opted_out: { status: 422, code: 'contact_opted_out' },
  channel_disabled: { status: 422, code: 'channel_disabled' },
  not_found: { status: 404, code: 'not_found' },
}

/**
 * /api/v1/messages. A send goes through the same door as the inbox
 * composer's (queueOutboundMessage): the 24-hour window, opt-out, an active
 * channel and the approved template's variables are checked there, and the
 * message is queued for delivery, so the answer is 202 with status
 * `pending`; GET /messages/:id (or the message.status webhook) follows it.
 */
export default class MessagesApiController {
  /**
   * With an Idempotency-Key, repeats (even concurrent ones) answer the first
   * response and send nothing again; the key also travels to the message
   * row, so a repeat after the API's 24 hours still finds the message.
   * The key costs no round trip of its own: it is claimed in the statement
   * that reads the contact and stored with its answer by the message's
   * insert (two statements a send, as for a send without a key).
   */
  async store(ctx: HttpContext) {
    return idempotent(
      ctx,
      async (recorder) => {
        const data = await validateApiBody(ctx, sendMessageBody)
        const content = contentOf(data)
        const channel = await sendingChannel(ctx, data.channel_id)
        if (!channel) throw invalid({ channel_id: ['No such channel in this workspace'] })
        if (channel.status !== 'active') {
          throw new ApiError(422, 'channel_disabled', 'This channel is not active')
        }
        const { contact, conversation } = await recipient(ctx.tenant, data, channel.id, recorder)
        if (contact.optIn === 'opted_out') {
          throw new ApiError(422, 'contact_opted_out', 'This contact has opted out of messages')
        }
        // Only a template may open a WhatsApp conversation; other channels have no window.
        const mayOpen = content.type === 'template' || channel.type !== 'whatsapp'
        const found = conversation
          ? { conversation }
          : await conversationForSend(ctx.tenant, contact.id, channel.id, { open: mayOpen })
        if (!found) throw outsideWindow()

        const key = ctx.request.header('Idempotency-Key')
        // With a key, the answer is stored by the message's own insert (one
        // round trip fewer); it is the answer only if that insert happened.
        let planned: { id: string; answer: ApiResult } | null = null
        const message = await queueOutboundMessage(ctx.tenant, {
          conversationId: found.conversation.id,
          content,
          authorType: 'system',
          idempotencyKey: key ? `api:${createHash('sha256').update(key).digest('hex')}` : null,
          loaded: { conversation: found.conversation, contact, channel },
          alongside: recorder
            ? (next, stored) => {
                planned = { id: next.id, answer: accepted(next) }
                return recorder.statement(planned.answer, stored)
              }
            : undefined,
        }).catch((error) => {
          throw refusal(error, data.type)
        })
        const recorded = planned as { id: string; answer: ApiResult } | null
        if (recorder && recorded?.id === message.id) return recorder.recorded(recorded.answer)
        return accepted(message)
      },
      { claimInWork: true }
    )
  }

  async show(ctx: HttpContext) {
    const id = String(ctx.params.id)
    const message = await messageById(ctx.tenant, id)
    if (!message) throw new ApiError(404, 'not_found', 'No such message')
    return sendJson(ctx, 200, presentMessage(message))
  }
}

/** Channels sends go out on, kept while the central version holds (a channel's save raises it). */
const channels = new CentralCache<Channel>()

function sendingChannel(ctx: HttpContext, channelId: string) {
  return channels.get(`${ctx.tenant.id}:${channelId}`, ctx.centralCacheVersion, () =>
    findTenantChannel(ctx.tenant.id, channelId)
  )
}

/** 202: the message is queued; Location is where to follow it. */
function accepted(message: {
  id: string
  status: string
  conversationId: string
  contactId: string
  channelId: string
  type: string
  createdAt: DateTime
}): ApiResult {
  return {
    status: 202,
    body: {
      id: message.id,
      status: message.status,
      conversation_id: message.conversationId,
      contact_id: message.contactId,
      channel_id: message.channelId,
      type: message.type,
      created_at: message.createdAt.toUTC().toISO(),
    },
    headers: { Location: `/api/v1/messages/${message.id}` },
  }
}

function invalid(fields: FieldErrors) {
  return new ApiError(422, 'validation_failed', 'The request is invalid', fields)
}

function outsideWindow() {
  return new ApiError(
    422,
    'outside_window',
    'More than 24 hours since the customer last wrote (or they never did): send an approved template instead'
  )
}

/** The message to send, from the part of the body `type` names. */
function contentOf(data: SendInput): OutboundContent {
  const missing = (field: string, message: string): never => {
    throw invalid({ [field]: [message] })
  }
  if (!data.contact_id === !data.to) {
    throw invalid({ contact_id: ['Give either contact_id or to (a phone number), not both'] })
  }
  const extra = (['text', 'media', 'template', 'interactive'] as const).filter(
    (part) => part !== data.type && data[part] !== undefined
  )
  if (extra.length) {
    throw invalid(
      Object.fromEntries(extra.map((part) => [part, [`Not used with type "${data.type}"`]]))
    )
  }
  switch (data.type) {
    case 'text':
      if (data.text === undefined) missing('text', 'Write the message')
      return { type: 'text', text: data.text!, previewUrl: data.preview_url ?? false }
    case 'media': {
      const media = data.media ?? missing('media', 'Describe the file: kind and link or id')
      if (!media.link === !media.id) missing('media.link', 'Give either a link or a media id')
      return {
        type: media.kind,
        link: media.link,
        mediaId: media.id,
        caption: media.caption,
        filename: media.filename,
      }
    }
    case 'template': {
      const template = data.template ?? missing('template', 'Name the template and its language')
      return {
        type: 'template',
        name: template.name,
        language: template.language,
        variables: template.variables ?? [],
        headerMedia: template.header_media,
      }
    }
    case 'interactive': {
      const interactive =
        data.interactive ?? missing('interactive', 'Describe the buttons or the list')
      if (interactive.type === 'buttons') {
        return {
          type: 'buttons',
          body: interactive.body,
          header: interactive.header,
          footer: interactive.footer,
          buttons: interactive.buttons ?? missing('interactive.buttons', 'One to three buttons'),
        }
      }
      return {
        type: 'list',
        body: interactive.body,
        header: interactive.header,
        footer: interactive.footer,
        button: interactive.button ?? missing('interactive.button', 'Name the list’s button'),
        sections: interactive.sections ?? missing('interactive.sections', 'One to ten sections'),
      }
    }
  }
}

/**
 * The contact addressed, by id or by phone (created when new, as the API's
 * own), with its conversation in progress on the channel when it has one
 * (read together: one statement). The request's Idempotency-Key is claimed
 * in that same statement, before anything is written.
 */
async function recipient(
  tenant: TenantContext,
  data: SendInput,
  channelId: string,
  recorder: AnswerRecorder | null
): Promise<{ contact: Contact; conversation: Conversation | null }> {
  const read = async (contact: { id: string } | { phone: string }) => {
    const claim = recorder?.claim() ?? null
    const { found, firstId } = await contactForSend(tenant, contact, channelId, claim)
    if (claim) recorder!.claimed(firstId)
    return found
  }
  if (data.contact_id) {
    const found = await read({ id: data.contact_id })
    if (!found) throw invalid({ contact_id: ['No such contact in this workspace'] })
    return found
  }
  const phone = data.to!
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await read({ phone })
    if (existing) return existing
    try {
      const contact = await createContact(tenant, { phone, optIn: 'unknown', source: 'api' })
      return { contact, conversation: null }
    } catch (error) {
      // Created by another request a moment ago: read it.
      if (!(error instanceof ContactError && error.code === 'phone_taken')) throw error
    }
  }
  throw new ApiError(409, 'conflict', 'The contact changed meanwhile; retry')
}

/** Where each part's fields live in the request body. */
const PART_OF_TYPE: Record<string, string> = {
  text: '',
  media: 'media.',
  template: 'template.',
  interactive: 'interactive.',
}

const FIELD_RENAMES: Record<string, string> = {
  'media.mediaId': 'media.id',
  'template.headerMedia.link': 'template.header_media.link',
}

function refusal(error: unknown, type: string) {
  if (!(error instanceof ChannelError)) return error
  const known = REFUSALS[error.code ?? '']
  if (known) return new ApiError(known.status, known.code, error.message)
  if (error.code === 'invalid_message') {
    const problems =
      (error as ChannelError & { fields?: Array<{ field: string; message: string }> }).fields ?? []
    const fields: FieldErrors = {}
    for (const problem of problems) {
      const name = `${PART_OF_TYPE[type] ?? ''}${problem.field}`
      ;(fields[FIELD_RENAMES[name] ?? name] ??= []).push(problem.message)
    }
    return new ApiError(422, 'validation_failed', error.message, fields)
  }
  return new ApiError(error.status, error.code ?? 'refused', error.message)
}
