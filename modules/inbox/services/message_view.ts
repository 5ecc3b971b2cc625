import type { Message } from '#modules/channels/index'

/*
| How a stored message reads in the inbox thread. Each WhatsApp type (and
| our outbound kinds) is turned into plain fields the thread template shows,
| so the template stays markup and the rules live here, tested.
*/

type Translate = (key: string, data?: Record<string, unknown>) => string

export interface MessageViewContext {
  /** The workspace's path prefix, for media links. */
  base: string
  locale: string
  t: Translate
  /** Names of members by user id (authors of outbound messages). */
  names: Map<string, string>
  /** Messages the page refers to (replies, reactions), by WhatsApp id. */
  referenced: Map<string, Message>
}

export type TickState = 'pending' | 'sent' | 'delivered' | 'read' | 'failed'

export interface MessageView {
  id: string
  kind: string
  type: string
  direction: 'inbound' | 'outbound'
  isNote: boolean
  isSystem: boolean
  author: string | null
  at: Date
  /** The message text as safe HTML: escaped, line breaks kept, http(s) links inert until clicked. */
  html: string | null
  media: MediaView | null
  location: {
    name: string | null
    address: string | null
    latitude: number
    longitude: number
    mapUrl: string
  } | null
  contacts: Array<{ name: string; phones: string[]; emails: string[] }>
  reply: { title: string; description: string | null; via: 'button' | 'list' | 'template' } | null
  reaction: { emoji: string; removed: boolean; target: string | null } | null
  template: { name: string; language: string; variables: string[] } | null
  interactive: {
    header: string | null
    footer: string | null
    buttons: string[]
    listButton: string | null
    rows: string[]
    /** A button that opens a web address (WhatsApp's CTA URL button). */
    link: { title: string; url: string } | null
  } | null
  unsupported: { originalType: string; reason: string | null } | null
  replyTo: string | null
  forwarded: boolean
  tick: { state: TickState; label: string; reason: string | null } | null
}

export interface MediaView {
  state: 'pending' | 'stored' | 'failed' | 'link' | 'none'
  url: string | null
  downloadUrl: string | null
  link: string | null
  filename: string | null
  size: string | null
  mimeType: string | null
  error: string | null
}

const MEDIA_KINDS = new Set(['image', 'audio', 'video', 'document', 'sticker'])

/** The types with a name in inbox.types.*; anything else reads as "unsupported". */
const NAMED_TYPES = new Set([
  ...MEDIA_KINDS,
  'text',
  'location',
  'contacts',
  'interactive',
  'button',
  'reaction',
  'template',
  'system',
  'unsupported',
])

function typeName(type: string, t: Translate) {
  return t(`inbox.types.${NAMED_TYPES.has(type) ? type : 'unsupported'}`)
}

export function escapeHtml(text: string) {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi

/**
 * Text as HTML: everything escaped; http(s) addresses become links that open
 * in a new tab only when clicked, with no referrer and no ranking credit.
 * No other scheme is ever linked. Line breaks are kept by the stylesheet
 * (white-space: pre-wrap).
 */
export function textToHtml(text: string) {
  let html = ''
  let at = 0
  for (const match of text.matchAll(URL_PATTERN)) {
    let url = match[0]
    // Sentence punctuation after an address is not part of it.
    const trailing = /[.,;:!?)\]}]+$/.exec(url)?.[0] ?? ''
    url = url.slice(0, url.length - trailing.length)
    const start = match.index!
    html += escapeHtml(text.slice(at, start))
    html += `<a href="${escapeHtml(url)}" rel="noopener noreferrer nofollow" target="_blank">${escapeHtml(url)}</a>`
    at = start + url.length
  }
  return html + escapeHtml(text.slice(at))
}

export function formatBytes(bytes: number, locale: string) {
  const units: Array<[string, number]> = [
    ['gigabyte', 1024 ** 3],
    ['megabyte', 1024 ** 2],
    ['kilobyte', 1024],
  ]
  for (const [unit, size] of units) {
    if (bytes >= size) {
      return new Intl.NumberFormat(locale, {
        style: 'unit',
        unit,
        maximumFractionDigits: 1,
      }).format(bytes / size)
    }
  }
  return new Intl.NumberFormat(locale, { style: 'unit', unit: 'byte' }).format(bytes)
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null
}

function num(value: unknown): number | null {
  const parsed = typeof value === 'string' ? Number(value) : value
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : null
}

/** A short line for a message another one refers to (a reply, a reaction). */
export function snippetOf(message: Message, t: Translate) {
  const text = message.body?.trim()
  if (text) return [...text].length > 80 ? `${[...text].slice(0, 79).join('')}…` : text
  return typeName(message.type, t)
}

function mediaView(message: Message, context: MessageViewContext): MediaView | null {
  const content = (message.payload?.content ?? {}) as Record<string, unknown>
  const media = message.media
  const url = `${context.base}/media/${message.id}`
  if (media) {
    return {
      state: media.status,
      url: media.status === 'stored' ? url : null,
      downloadUrl: media.status === 'stored' ? `${url}?download=1` : null,
      link: null,
      filename: media.filename ?? str(content.filename),
      size: media.size ? formatBytes(media.size, context.locale) : null,
      mimeType: media.mimeType ?? null,
      error: media.error ?? null,
    }
  }
  // Outbound media sent from a public link: shown as that link (the page's
  // policy loads images from this site only).
  const link = str(content.link)
  return {
    state: link ? 'link' : 'none',
    url: null,
    downloadUrl: null,
    link: link && /^https:\/\//i.test(link) ? link : null,
    filename: str(content.filename),
    size: null,
    mimeType: null,
    error: null,
  }
}

function tickOf(message: Message, t: Translate): MessageView['tick'] {
  if (message.direction !== 'outbound' || message.isNote) return null
  const state: TickState =
    message.status === 'pending' || message.status === 'queued' || message.status === 'received'
      ? 'pending'
      : message.status
  let reason: string | null = null
  if (state === 'failed') {
    const parts = [message.errorCode ? String(message.errorCode) : null, message.errorTitle]
    reason = parts.filter(Boolean).join(': ') || t('inbox.ticks.failed_unknown')
  }
  return { state, label: t(`inbox.ticks.${state}`), reason }
}

export function presentMessage(message: Message, context: MessageViewContext): MessageView {
  const { t } = context
  const payload = (message.payload ?? {}) as Record<string, unknown>
  const content = (payload.content ?? null) as Record<string, unknown> | null
  const outbound = message.direction === 'outbound'
  const view: MessageView = {
    id: message.id,
    kind: message.type,
    type: message.type,
    direction: message.direction,
    isNote: message.isNote,
    isSystem: message.type === 'system',
    author: authorOf(message, context),
    at: (message.providerTimestamp ?? message.createdAt).toJSDate(),
    html: null,
    media: null,
    location: null,
    contacts: [],
    reply: null,
    reaction: null,
    template: null,
    interactive: null,
    unsupported: null,
    replyTo: null,
    forwarded: payload.forwarded === true,
    tick: tickOf(message, t),
  }
  const reference = message.replyToExternalId
    ? context.referenced.get(message.replyToExternalId)
    : null
  if (reference && message.type !== 'reaction') view.replyTo = snippetOf(reference, t)

  const text = (value: string | null | undefined) => (value ? textToHtml(value) : null)

  if (MEDIA_KINDS.has(message.type)) {
    view.media = mediaView(message, context)
    view.html = text(message.media?.caption ?? str(content?.caption) ?? null)
    return view
  }

  switch (message.type) {
    case 'text':
    case 'system':
      view.html = text(message.body)
      return view
    case 'location': {
      const latitude = num(payload.latitude)
      const longitude = num(payload.longitude)
      if (latitude === null || longitude === null) {
        view.kind = 'text'
        view.html = text(message.body)
        return view
      }
      view.location = {
        name: str(payload.name),
        address: str(payload.address),
        latitude,
        longitude,
        mapUrl: `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=16/${latitude}/${longitude}`,
      }
      return view
    }
    case 'contacts': {
      const cards = Array.isArray(payload.contacts) ? payload.contacts : []
      view.contacts = cards.map((card: any) => ({
        name:
          str(card?.name?.formatted_name) ??
          ([str(card?.name?.first_name), str(card?.name?.last_name)].filter(Boolean).join(' ') ||
            t('inbox.message.unnamed_card')),
        phones: (Array.isArray(card?.phones) ? card.phones : [])
          .map((phone: any) => str(phone?.phone) ?? str(phone?.wa_id))
          .filter(Boolean),
        emails: (Array.isArray(card?.emails) ? card.emails : [])
          .map((email: any) => str(email?.email))
          .filter(Boolean),
      }))
      return view
    }
    case 'button':
      view.reply = {
        title: str(payload.text) ?? message.body ?? '',
        description: null,
        via: 'template',
      }
      return view
    case 'reaction': {
      const target = str(payload.messageId)
      const reacted = target ? context.referenced.get(target) : null
      view.reaction = {
        emoji: str(payload.emoji) ?? '',
        removed: payload.removed === true,
        target: reacted ? snippetOf(reacted, t) : null,
      }
      return view
    }
    case 'template':
      if (content) {
        view.template = {
          name: str(content.name) ?? '',
          language: str(content.language) ?? '',
          variables: Array.isArray(content.variables) ? content.variables.map(String) : [],
        }
      }
      view.html = text(message.body)
      return view
    case 'interactive':
      if (outbound && content) {
        view.kind = 'interactive_out'
        view.html = text(str(content.body) ?? message.body)
        const sections = Array.isArray(content.sections) ? content.sections : []
        view.interactive = {
          header: str(content.header),
          footer: str(content.footer),
          buttons: (Array.isArray(content.buttons) ? content.buttons : [])
            .map((button: any) => str(button?.title))
            .filter(Boolean) as string[],
          listButton: str(content.button),
          rows: sections.flatMap((section: any) =>
            (Array.isArray(section?.rows) ? section.rows : [])
              .map((row: any) => str(row?.title))
              .filter(Boolean)
          ),
          link:
            content.type === 'cta_url' && str(content.displayText) && str(content.url)
              ? { title: str(content.displayText)!, url: str(content.url)! }
              : null,
        }
        return view
      }
      if (str(payload.title)) {
        view.kind = 'interactive_reply'
        view.reply = {
          title: str(payload.title)!,
          description: str(payload.description),
          via: payload.interactiveType === 'list_reply' ? 'list' : 'button',
        }
        return view
      }
      view.kind = 'unsupported'
      view.unsupported = {
        originalType: `interactive ${str(payload.interactiveType) ?? ''}`.trim(),
        reason: null,
      }
      return view
    case 'unsupported': {
      const errors = Array.isArray(payload.errors) ? payload.errors : []
      const first = errors[0] as Record<string, any> | undefined
      view.unsupported = {
        originalType: str(payload.originalType) ?? 'unknown',
        reason: str(first?.error_data?.details) ?? str(first?.title) ?? null,
      }
      return view
    }
    default:
      // A type this version does not know: its text if any, and a note saying so.
      view.kind = message.body ? 'text' : 'unsupported'
      view.html = text(message.body)
      if (!message.body) view.unsupported = { originalType: message.type, reason: null }
      return view
  }
}

function authorOf(message: Message, context: MessageViewContext) {
  switch (message.authorType) {
    case 'agent':
      return (
        (message.authorId && context.names.get(message.authorId)) ||
        context.t('inbox.authors.agent')
      )
    case 'assistant':
      return context.t('inbox.authors.assistant')
    case 'system':
      return context.t('inbox.authors.system')
    default:
      return null
  }
}

/** A line for the conversation list: what was said last, by whom. */
export function previewOf(
  last: { type: string; body: string | null; isNote: boolean } | null,
  t: Translate
) {
  if (!last) return t('inbox.list.no_messages')
  const text = last.body?.replace(/\s+/g, ' ').trim()
  const line = text || typeName(last.type, t)
  return last.isNote ? t('inbox.list.note_preview', { text: line }) : line
}
