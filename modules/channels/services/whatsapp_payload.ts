import { createHmac, timingSafeEqual } from 'node:crypto'
import type { MessageMedia, MessageStatus } from '../models/message.js'

/*
| The shapes of WhatsApp Cloud API webhooks (only what we read; everything
| else is kept verbatim in webhook_events.payload and messages.payload) and
| their translation into our message rows.
*/

export interface WaWebhook {
  object?: string
  entry?: WaEntry[]
}

export interface WaEntry {
  id?: string
  changes?: WaChange[]
}

export interface WaChange {
  field?: string
  value?: WaChangeValue
}

export interface WaChangeValue {
  messaging_product?: string
  metadata?: { display_phone_number?: string; phone_number_id?: string }
  contacts?: Array<{ wa_id?: string; profile?: { name?: string } }>
  messages?: WaMessage[]
  statuses?: WaStatus[]
  errors?: WaError[]
}

export interface WaError {
  code?: number
  title?: string
  message?: string
  error_data?: { details?: string }
}

export interface WaMedia {
  id?: string
  mime_type?: string
  sha256?: string
  caption?: string
  filename?: string
  animated?: boolean
  voice?: boolean
}

export interface WaMessage {
  id: string
  from: string
  timestamp: string
  type: string
  context?: { id?: string; from?: string; forwarded?: boolean; frequently_forwarded?: boolean }
  text?: { body?: string }
  image?: WaMedia
  audio?: WaMedia
  video?: WaMedia
  document?: WaMedia
  sticker?: WaMedia
  location?: {
    latitude?: number
    longitude?: number
    name?: string
    address?: string
    url?: string
  }
  contacts?: Array<{ name?: { formatted_name?: string }; [key: string]: unknown }>
  interactive?: {
    type?: string
    button_reply?: { id?: string; title?: string }
    list_reply?: { id?: string; title?: string; description?: string }
    [key: string]: unknown
  }
  button?: { text?: string; payload?: string }
  reaction?: { message_id?: string; emoji?: string }
  /** A click-to-WhatsApp ad or post the customer came from (on their first message after it). */
  referral?: WaReferral
  errors?: WaError[]
  [key: string]: unknown
}

export interface WaReferral {
  source_url?: string
  source_id?: string
  /** 'ad' or 'post'. */
  source_type?: string
  headline?: string
  body?: string
  media_type?: string
  image_url?: string
  video_url?: string
  thumbnail_url?: string
  /** The click id, for attributing the conversation to the ad. */
  ctwa_clid?: string
  [key: string]: unknown
}

const REFERRAL_FIELDS = [
  'source_url',
  'source_id',
  'source_type',
  'headline',
  'body',
  'media_type',
  'image_url',
  'video_url',
  'thumbnail_url',
  'ctwa_clid',
] as const

/** The referral's documented text fields (anything else, or not text, is left out). */
export function referralOf(value: unknown): Record<string, string> | null {
  if (!isObject(value)) return null
  const kept: Record<string, string> = {}
  for (const field of REFERRAL_FIELDS) {
    const item = value[field]
    if (typeof item === 'string' || typeof item === 'number')
      kept[field] = String(item).slice(0, 2048)
  }
  return Object.keys(kept).length ? kept : null
}

export interface WaStatus {
  id: string
  status: string
  timestamp?: string
  recipient_id?: string
  /** What the send request gave as biz_opaque_callback_data (our message id), echoed back. */
  biz_opaque_callback_data?: string
  errors?: WaError[]
  [key: string]: unknown
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isListOfObjects = (value: unknown) =>
  value === undefined || (Array.isArray(value) && value.every(isObject))

/**
 * Whether the body has the structure every reader of webhooks walks (entry,
 * changes, value, and its contacts, messages and statuses: objects and lists
 * of objects where Meta sends them). Anything else is refused before it is
 * stored, so no request and no job stumbles over a list that is a number.
 */
export function hasWebhookShape(body: unknown): body is WaWebhook {
  if (!isObject(body) || !Array.isArray(body.entry) || !body.entry.every(isObject)) return false
  return body.entry.every((entry) => {
    if (!isListOfObjects(entry.changes)) return false
    return ((entry.changes ?? []) as Array<Record<string, unknown>>).every(({ value }) => {
      if (value === undefined) return true
      if (!isObject(value)) return false
      return (
        isListOfObjects(value.contacts) &&
        isListOfObjects(value.messages) &&
        isListOfObjects(value.statuses) &&
        (value.metadata === undefined || isObject(value.metadata))
      )
    })
  })
}

/** The phone_number_ids a webhook names, in order of appearance, without repeats. */
export function phoneNumberIdsOf(body: WaWebhook): string[] {
  const ids = new Set<string>()
  for (const entry of body.entry ?? []) {
    for (const change of entry.changes ?? []) {
      const id = change.value?.metadata?.phone_number_id
      if (id !== undefined && id !== null) ids.add(String(id))
    }
  }
  return [...ids]
}

/**
 * What the ordered hand-off needs to know of a webhook before it is
 * processed (see inbound_ordering): the wa_ids whose messages it carries,
 * and when the earliest of them was sent (null when none says).
 */
export function orderingOf(body: WaWebhook): {
  senders: string[]
  earliestMessageAt: Date | null
} {
  const senders = new Set<string>()
  let earliest: number | null = null
  for (const entry of body.entry ?? []) {
    for (const change of entry.changes ?? []) {
      for (const message of change.value?.messages ?? []) {
        if (message?.from !== undefined && message.from !== null) senders.add(String(message.from))
        const sent = dateFromUnix(message?.timestamp)?.getTime()
        if (sent !== undefined && (earliest === null || sent < earliest)) {
          earliest = sent
        }
      }
    }
  }
  return { senders: [...senders], earliestMessageAt: earliest === null ? null : new Date(earliest) }
}

/** The WABA ids of the entries: account-level webhooks (templates) carry no number. */
export function accountIdsOf(body: WaWebhook): string[] {
  return [...new Set((body.entry ?? []).map((entry) => entry.id).filter(Boolean) as string[])]
}

/**
 * Whether `header` (X-Hub-Signature-256: "sha256=<hex>") is the HMAC-SHA256
 * of the exact bytes received, keyed with the app secret. Compared in
 * constant time; a header of the wrong shape or length is simply false.
 */
export function isValidSignature(rawBody: string | Buffer, header: string, appSecret: string) {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim())
  if (!match) return false
  const given = Buffer.from(match[1].toLowerCase(), 'hex')
  const expected = createHmac('sha256', appSecret).update(rawBody).digest()
  return given.length === expected.length && timingSafeEqual(given, expected)
}

export function signBody(rawBody: string | Buffer, appSecret: string) {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`
}

/** WhatsApp's wa_id is the digits of the number; E.164 puts a plus in front. */
export function e164FromWaId(waId: string): string | null {
  const digits = waId.replace(/\D/g, '')
  if (digits.length < 6 || digits.length > 15) return null
  return `+${digits}`
}

/** Seconds past which a timestamp is no date PostgreSQL (or anyone) would mean: year 10000. */
const LAST_SECOND = 253_402_300_799

/**
 * A unix timestamp in seconds (as WhatsApp sends it, a string) to a Date;
 * null for anything that is not one (a webhook saying `1e308` or `-5` must
 * not make its message unstorable: it is stamped when it is stored).
 */
export function dateFromUnix(value: string | number | undefined): Date | null {
  if (value === undefined || value === null || value === '') return null
  const seconds = Number(value)
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= LAST_SECOND
    ? new Date(seconds * 1000)
    : null
}

export interface InboundMessageFields {
  type: string
  body: string | null
  payload: Record<string, unknown>
  media: MessageMedia | null
  replyToExternalId: string | null
}

const MEDIA_TYPES = new Set(['image', 'audio', 'video', 'document', 'sticker'])

/**
 * Our row for one inbound message. Every type WhatsApp sends is kept: the
 * ones we know get a body a person can read (and search), the rest become
 * `unsupported` with the original object in the payload, never dropped.
 */
export function describeInboundMessage(message: WaMessage): InboundMessageFields {
  const replyToExternalId = message.context?.id ?? null
  const base: Record<string, unknown> = {}
  if (message.context?.forwarded) base.forwarded = true
  if (message.context?.frequently_forwarded) base.frequentlyForwarded = true
  if (message.context?.id) base.context = message.context
  const referral = referralOf(message.referral)
  if (referral) base.referral = referral

  const fields = (
    type: string,
    body: string | null,
    payload: Record<string, unknown> = {},
    media: MessageMedia | null = null
  ): InboundMessageFields => ({
    type,
    body: body === '' ? null : body,
    payload: { ...base, ...payload },
    media,
    replyToExternalId,
  })

  const kind = message.type
  if (kind === 'text' && message.text) {
    return fields('text', message.text.body ?? null)
  }
  if (MEDIA_TYPES.has(kind) && message[kind]) {
    const media = message[kind] as WaMedia
    const extra: Record<string, unknown> = {}
    if (media.animated !== undefined) extra.animated = media.animated
    if (media.voice !== undefined) extra.voice = media.voice
    return fields(kind, media.caption ?? null, extra, {
      providerId: media.id,
      mimeType: media.mime_type,
      sha256: media.sha256,
      filename: media.filename,
      caption: media.caption,
      status: 'pending',
    })
  }
  if (kind === 'location' && message.location) {
    const { latitude, longitude, name, address, url } = message.location
    const label = [name, address].filter(Boolean).join(', ')
    return fields('location', label || null, { latitude, longitude, name, address, url })
  }
  if (kind === 'contacts' && message.contacts) {
    const names = message.contacts.map((card) => card.name?.formatted_name).filter(Boolean)
    return fields('contacts', names.join(', ') || null, { contacts: message.contacts })
  }
  if (kind === 'interactive' && message.interactive) {
    const interactive = message.interactive
    const reply = interactive.button_reply ?? interactive.list_reply
    if (reply) {
      return fields('interactive', reply.title ?? null, {
        interactiveType: interactive.type,
        id: reply.id,
        title: reply.title,
        description: interactive.list_reply?.description,
      })
    }
    // Flows (nfm_reply) and future kinds: kept whole.
    return fields('interactive', null, { interactiveType: interactive.type, interactive })
  }
  if (kind === 'button' && message.button) {
    return fields('button', message.button.text ?? null, {
      text: message.button.text,
      payload: message.button.payload,
    })
  }
  if (kind === 'reaction' && message.reaction) {
    // An empty emoji means the customer removed their reaction.
    const emoji = message.reaction.emoji ?? ''
    return fields('reaction', emoji || null, {
      emoji,
      messageId: message.reaction.message_id,
      removed: emoji === '',
    })
  }
  const original: Record<string, unknown> = { ...message }
  for (const key of ['id', 'from', 'timestamp', 'context', 'referral']) delete original[key]
  return fields('unsupported', null, {
    originalType: kind,
    errors: message.errors ?? [],
    original,
  })
}

const STATUS_NAMES = new Set<MessageStatus>(['sent', 'delivered', 'read', 'failed'])

/** WhatsApp's status name as ours, or null for one we do not track (e.g. "deleted"). */
export function statusFrom(value: string): MessageStatus | null {
  return STATUS_NAMES.has(value as MessageStatus) ? (value as MessageStatus) : null
}
