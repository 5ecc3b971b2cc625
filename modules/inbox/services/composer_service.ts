import { randomUUID } from 'node:crypto'
import {
  approvedTemplateOf,
  approvedTemplatesOf,
  storeNoteIn,
  ChannelError,
  LIMITS,
  queueOutboundMessage,
  type Message,
  type MessageTemplate,
  type OutboundContent,
} from '#modules/channels/index'
import emitter from '@adonisjs/core/services/emitter'
import type { TenantContext } from '#modules/tenancy/index'
import Conversation from '../models/conversation.js'
import drive from '@adonisjs/drive/services/main'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import { fillPlaceholders, findCannedByShortcut, shortcutIn } from './canned_response_service.js'

/*
| The inbox composer's work: a member's reply (text, a `/shortcut`, or a
| file with a caption) sent through the one door for sending
| (queueOutboundMessage), internal notes, WhatsApp's rules for attached
| files, and the approved templates a conversation can use.
*/

/**
 * What the composer refuses before anything is sent: the form field it is
 * about and an i18n key (with its values) for the page to say it in the
 * member's language. A value `{ key }` is itself a key to translate.
 */
export class ComposerRefusal extends Error {
  constructor(
    readonly field: string,
    readonly key: string,
    readonly data: Record<string, string | number | { key: string }> = {}
  ) {
    super(key)
  }
}

const MB = 1024 * 1024

export type AttachmentKind = 'image' | 'video' | 'audio' | 'document'

/** WhatsApp Cloud API's accepted media types and sizes, by kind. */
export const ATTACHMENT_RULES: Record<AttachmentKind, { types: string[]; maxBytes: number }> = {
  image: { types: ['image/jpeg', 'image/png'], maxBytes: 5 * MB },
  video: { types: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB },
  audio: {
    types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
    maxBytes: 16 * MB,
  },
  document: {
    types: [
      'text/plain',
      'application/pdf',
      'application/msword',
      'application/vnd.ms-excel',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * MB,
  },
}

/** Other names file detection gives the same formats. */
const ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'audio/x-m4a': 'audio/mp4',
  'audio/m4a': 'audio/mp4',
  'audio/mp3': 'audio/mpeg',
  'audio/x-aac': 'audio/aac',
  'audio/opus': 'audio/ogg',
  'video/3gp': 'video/3gpp',
}

/** Old Office files are all one container format; their extension says which. */
const OLD_OFFICE: Record<string, string> = {
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  ppt: 'application/vnd.ms-powerpoint',
}

/** The MIME type WhatsApp should be told, from what the upload detected. */
export function attachmentMimeType(detected: string, clientName: string) {
  const type = detected.toLowerCase().split(';')[0].trim()
  if (type === 'application/x-cfb') {
    const extension = clientName.split('.').pop()?.toLowerCase() ?? ''
    return OLD_OFFICE[extension] ?? type
  }
  return ALIASES[type] ?? type
}

export type AttachmentCheck =
  | { ok: true; kind: AttachmentKind }
  | { ok: false; problem: 'type' }
  | { ok: false; problem: 'size'; kind: AttachmentKind; maxBytes: number }

/** Whether WhatsApp takes a file of this type and size, and as what. */
export function checkAttachment(mimeType: string, size: number): AttachmentCheck {
  const kind = (Object.keys(ATTACHMENT_RULES) as AttachmentKind[]).find((candidate) =>
    ATTACHMENT_RULES[candidate].types.includes(mimeType)
  )
  if (!kind) return { ok: false, problem: 'type' }
  const { maxBytes } = ATTACHMENT_RULES[kind]
  if (size > maxBytes) return { ok: false, problem: 'size', kind, maxBytes }
  return { ok: true, kind }
}

/** Where an agent's upload lives in the tenant's storage. */
export function uploadKey(tenant: TenantContext, extension: string | undefined) {
  const suffix = extension && /^[a-z0-9]{1,8}$/i.test(extension) ? `.${extension}` : ''
  return `tenants/${tenant.id}/uploads/${randomUUID()}${suffix}`
}

export interface NoteInput {
  conversationId: string
  text: string
  authorId: string
}

/**
 * An internal note in a conversation: the team reads it in the thread, the
 * customer never does. It is not sent anywhere and does not count as the
 * customer writing, so it neither opens the 24-hour window nor needs it.
 */
export async function addNote(tenant: TenantContext, input: NoteInput): Promise<Message> {
  const text = input.text.trim()
  if (!text || [...text].length > LIMITS.text) {
    const message = text ? `At most ${LIMITS.text} characters` : 'Write the note'
    const error = new ChannelError('invalid_message', message)
    ;(error as ChannelError & { fields?: unknown }).fields = [{ field: 'note', message }]
    throw error
  }
  const note = await tenant.transaction(async (trx) => {
    const conversation = await Conversation.query({ client: trx })
      .where('id', input.conversationId)
      .first()
    if (!conversation) throw new ChannelError('not_found', 'No such conversation', 404)
    const created = await storeNoteIn(trx, conversation, text, input.authorId)
    await trx.from('conversations').where('id', conversation.id).update({ updated_at: new Date() })
    return created
  })
  await emitter.emit('message:sent', {
    tenant: tenant.slug,
    tenantId: tenant.id,
    messageId: note.id,
    conversationId: note.conversationId,
    contactId: note.contactId,
    channelId: note.channelId,
    type: note.type,
    isNote: true,
    authorType: 'agent',
    authorId: input.authorId,
  })
  return note
}

export interface TemplateChoice {
  name: string
  language: string
  category: string
  body: string
  /** How many {{n}} the body has: a send fills exactly that many. */
  variables: number
  /** WhatsApp's example values, one per variable, as placeholders. */
  examples: string[]
  header: { format: 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION'; text: string | null }
  /** Whether a send must give a media link for the header. */
  headerMedia: 'image' | 'video' | 'document' | null
  headerExample: string | null
  footer: string | null
  buttons: string[]
}

function describeTemplate(template: MessageTemplate): TemplateChoice {
  const components = template.components ?? []
  const part = (type: string) => components.find((c) => String(c.type).toUpperCase() === type)
  const body = part('BODY')
  const header = part('HEADER')
  const footer = part('FOOTER')
  const buttons = part('BUTTONS')
  const format = String(
    header?.format ?? 'TEXT'
  ).toUpperCase() as TemplateChoice['header']['format']
  const mediaHeader = ['IMAGE', 'VIDEO', 'DOCUMENT'].includes(format)
  const examples: unknown = body?.example?.body_text?.[0]
  return {
    name: template.name,
    language: template.language,
    category: template.category,
    body: String(body?.text ?? ''),
    variables: template.bodyVariables,
    examples: Array.from({ length: template.bodyVariables }, (_, index) =>
      Array.isArray(examples) && typeof examples[index] === 'string' ? examples[index] : ''
    ),
    header: { format, text: header && !mediaHeader ? String(header.text ?? '') || null : null },
    headerMedia: mediaHeader ? (format.toLowerCase() as TemplateChoice['headerMedia']) : null,
    headerExample:
      mediaHeader && typeof header?.example?.header_handle?.[0] === 'string'
        ? header.example.header_handle[0]
        : null,
    footer: footer?.text ? String(footer.text) : null,
    buttons: Array.isArray(buttons?.buttons)
      ? buttons.buttons.map((button: { text?: unknown }) => String(button.text ?? ''))
      : [],
  }
}

/** The channel's templates WhatsApp approved (as of the last sync), by name. */
export async function approvedTemplates(
  tenant: TenantContext,
  channelId: string
): Promise<TemplateChoice[]> {
  const templates = await approvedTemplatesOf(tenant, channelId)
  return templates.map(describeTemplate)
}

/** One approved template of the channel, or null. */
export async function approvedTemplate(
  tenant: TenantContext,
  channelId: string,
  name: string,
  language: string
): Promise<TemplateChoice | null> {
  const template = await approvedTemplateOf(tenant, channelId, name, language)
  return template ? describeTemplate(template) : null
}

/** A member's reply from the composer, as the form gave it. */
export interface ReplyInput {
  conversationId: string
  channelType: string
  contact: { name: string | null; profileName: string | null; phone: string | null }
  agent: { id: string; name: string }
  text: string
  /** The attached file, if any (an empty file input counts as none). */
  file: MultipartFile | null
  /** One per rendered composer, so a double-submitted form sends once. */
  idempotencyKey: string | null
}

/**
 * Sends a member's reply: expands a `/shortcut`, checks and stores an
 * attached file (the send job uploads it to WhatsApp), and queues the
 * message. A stored file the send did not use (a refusal, or a repeated
 * submit answered with the first message) is removed again.
 */
export async function sendReply(tenant: TenantContext, input: ReplyInput): Promise<Message> {
  let stored: string | null = null
  try {
    const text = await expandShortcut(tenant, input)
    let content: OutboundContent
    if (input.file) {
      const upload = await storeAttachment(tenant, input.channelType, input.file, text)
      stored = upload.file.key
      content = upload
    } else {
      if (!text.trim()) throw new ComposerRefusal('text', 'composer.errors.text_required')
      if ([...text].length > LIMITS.text) {
        throw new ComposerRefusal('text', 'composer.errors.text_too_long', { max: LIMITS.text })
      }
      content = { type: 'text', text }
    }
    const message = await queueOutboundMessage(tenant, {
      conversationId: input.conversationId,
      content,
      authorType: 'agent',
      authorId: input.agent.id,
      idempotencyKey: input.idempotencyKey,
    })
    const sentFile = (message.payload.content as { file?: { key?: string } })?.file?.key
    if (stored && sentFile !== stored) await drive.use().delete(stored)
    return message
  } catch (error) {
    if (stored) await drive.use().delete(stored)
    throw error
  }
}

/** A member's internal note from the composer. */
export async function writeNote(tenant: TenantContext, input: NoteInput): Promise<Message> {
  if (!input.text.trim()) throw new ComposerRefusal('note', 'composer.errors.note_required')
  if ([...input.text].length > LIMITS.text) {
    throw new ComposerRefusal('note', 'composer.errors.text_too_long', { max: LIMITS.text })
  }
  return addNote(tenant, input)
}

/**
 * A message that is exactly `/shortcut` becomes that canned response, with
 * the contact's and the agent's names filled in: what the `/` menu inserts
 * with JavaScript, done on the server without it.
 */
async function expandShortcut(tenant: TenantContext, input: ReplyInput) {
  const shortcut = shortcutIn(input.text)
  if (!shortcut) return input.text
  const canned = await findCannedByShortcut(tenant, shortcut)
  if (!canned) throw new ComposerRefusal('text', 'composer.errors.unknown_shortcut', { shortcut })
  return fillPlaceholders(canned.body, {
    contactName: input.contact.name || input.contact.profileName,
    contactPhone: input.contact.phone,
    agentName: input.agent.name,
  })
}

/**
 * Checks an uploaded file against WhatsApp's types and sizes, keeps it in the
 * tenant's storage and returns the message that carries it (the text as its
 * caption).
 */
async function storeAttachment(
  tenant: TenantContext,
  channelType: string,
  file: MultipartFile,
  text: string
): Promise<OutboundContent & { file: { key: string } }> {
  if (channelType === 'webchat') {
    throw new ComposerRefusal('attachment', 'composer.errors.attachment_webchat')
  }
  if (file.hasErrors)
    throw new ComposerRefusal('attachment', 'composer.errors.attachment_unreadable')
  const detected =
    file.type && file.subtype
      ? `${file.type}/${file.subtype}`
      : String(file.headers['content-type'] ?? '')
  const mimeType = attachmentMimeType(detected, file.clientName)
  const check = checkAttachment(mimeType, file.size)
  if (!check.ok) {
    if (check.problem === 'type') {
      throw new ComposerRefusal('attachment', 'composer.errors.attachment_type', {
        type: mimeType || '?',
      })
    }
    throw new ComposerRefusal('attachment', 'composer.errors.attachment_size', {
      kind: { key: `composer.kinds.${check.kind}` },
      max: Math.round(check.maxBytes / MB),
    })
  }
  const caption = text.trim()
  if (caption && check.kind === 'audio') {
    throw new ComposerRefusal('text', 'composer.errors.audio_caption')
  }
  if ([...caption].length > LIMITS.caption) {
    throw new ComposerRefusal('text', 'composer.errors.caption_too_long', { max: LIMITS.caption })
  }
  const key = uploadKey(tenant, file.extname)
  await file.moveToDisk(key)
  return {
    type: check.kind,
    file: { key, mimeType, size: file.size, name: file.clientName },
    ...(caption ? { caption } : {}),
    ...(check.kind === 'document' ? { filename: file.clientName.slice(0, 240) } : {}),
  } as OutboundContent & { file: { key: string } }
}
