/**
 * What a business can send on WhatsApp, checked against the Cloud API's
 * limits before anything is queued, so an agent or an API client hears at
 * once what is wrong instead of reading a failure tick later.
 */
import type { MessageMedia } from '../models/message.js'

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker'

/**
 * A file a member uploaded, kept in the tenant's storage (drive key). The
 * send job uploads it to WhatsApp's media endpoint and sends the media id.
 */
export interface UploadedFile {
  key: string
  mimeType: string
  size: number
  name?: string
}

export type OutboundContent =
  | { type: 'text'; text: string; previewUrl?: boolean }
  | {
      type: MediaKind
      link?: string
      mediaId?: string
      file?: UploadedFile
      caption?: string
      filename?: string
    }
  | {
      type: 'template'
      name: string
      language: string
      variables?: string[]
      headerMedia?: { type: 'image' | 'video' | 'document'; link: string }
    }
  | {
      type: 'buttons'
      body: string
      buttons: Array<{ id: string; title: string }>
      header?: string
      footer?: string
    }
  | {
      type: 'list'
      body: string
      button: string
      sections: Array<{
        title?: string
        rows: Array<{ id: string; title: string; description?: string }>
      }>
      header?: string
      footer?: string
      /**
       * The rows as cards, where a screen can show more than WhatsApp's
       * list (web chat): image, title, a few lines and a link, picked by
       * the row id. Never sent to WhatsApp.
       */
      cards?: ListCard[]
    }
  | {
      /** A message with one button that opens a web address (WhatsApp's CTA URL button). */
      type: 'cta_url'
      body: string
      /** The button's label. */
      displayText: string
      /** An https address. */
      url: string
      header?: string
      footer?: string
    }

/** One list row shown as a card on web chat (see the list's `cards`). */
export interface ListCard {
  /** The list row it shows (picking the card picks the row). */
  id: string
  title: string
  /** An https image address, or null. */
  image?: string | null
  lines: string[]
  /** An https address to open, or null. */
  link?: string | null
}

/** The Cloud API's documented limits. */
export const LIMITS = {
  text: 4096,
  caption: 1024,
  interactiveBody: 1024,
  headerText: 60,
  footer: 60,
  buttons: 3,
  buttonTitle: 20,
  replyId: 256,
  listButton: 20,
  listSections: 10,
  listRows: 10,
  rowTitle: 24,
  rowDescription: 72,
  sectionTitle: 24,
}

export interface FieldProblem {
  field: string
  message: string
}

const MEDIA: MediaKind[] = ['image', 'video', 'audio', 'document', 'sticker']

/**
 * Every problem with a message, by field; empty when it can be sent.
 */
export function checkOutboundContent(content: OutboundContent): FieldProblem[] {
  const problems: FieldProblem[] = []
  const need = (ok: boolean, field: string, message: string) => {
    if (!ok) problems.push({ field, message })
  }
  const chars = (value: string | undefined) => [...(value ?? '')].length

  switch (content.type) {
    case 'text':
      need(chars(content.text.trim()) > 0, 'text', 'Write a message')
      need(chars(content.text) <= LIMITS.text, 'text', `At most ${LIMITS.text} characters`)
      break
    case 'template':
      need(/^[a-z0-9_]{1,512}$/.test(content.name), 'name', 'Template names use a-z, 0-9 and _')
      need(
        /^[a-z]{2,3}(_[A-Z]{2})?$/.test(content.language),
        'language',
        'A language code such as en or en_US'
      )
      ;(content.variables ?? []).forEach((value, index) =>
        need(value.trim().length > 0, `variables.${index}`, `Fill in variable {{${index + 1}}}`)
      )
      if (content.headerMedia) {
        need(isHttpsUrl(content.headerMedia.link), 'headerMedia.link', 'A public https:// link')
      }
      break
    case 'buttons':
      checkInteractiveText(content, need, chars)
      need(
        content.buttons.length >= 1 && content.buttons.length <= LIMITS.buttons,
        'buttons',
        `One to ${LIMITS.buttons} buttons`
      )
      content.buttons.forEach((button, index) => {
        need(chars(button.title.trim()) > 0, `buttons.${index}.title`, 'Give the button a title')
        need(
          chars(button.title) <= LIMITS.buttonTitle,
          `buttons.${index}.title`,
          `Button titles have at most ${LIMITS.buttonTitle} characters`
        )
        need(
          button.id.length > 0 && button.id.length <= LIMITS.replyId,
          `buttons.${index}.id`,
          'Each button needs an id'
        )
      })
      need(
        new Set(content.buttons.map((b) => b.id)).size === content.buttons.length,
        'buttons',
        'Button ids must differ'
      )
      need(
        new Set(content.buttons.map((b) => b.title.trim().toLowerCase())).size ===
          content.buttons.length,
        'buttons',
        'Button titles must differ'
      )
      break
    case 'cta_url':
      checkInteractiveText(content, need, chars)
      need(chars(content.displayText.trim()) > 0, 'displayText', 'Name the button')
      need(
        chars(content.displayText) <= LIMITS.buttonTitle,
        'displayText',
        `At most ${LIMITS.buttonTitle} characters`
      )
      need(isHttpsUrl(content.url), 'url', 'A public https:// link')
      break
    case 'list': {
      checkInteractiveText(content, need, chars)
      need(chars(content.button.trim()) > 0, 'button', 'Name the button that opens the list')
      need(
        chars(content.button) <= LIMITS.listButton,
        'button',
        `At most ${LIMITS.listButton} characters`
      )
      need(
        content.sections.length >= 1 && content.sections.length <= LIMITS.listSections,
        'sections',
        `One to ${LIMITS.listSections} sections`
      )
      const rows = content.sections.flatMap((section) => section.rows)
      need(
        rows.length >= 1 && rows.length <= LIMITS.listRows,
        'sections',
        `One to ${LIMITS.listRows} rows in all`
      )
      need(
        new Set(rows.map((row) => row.id)).size === rows.length,
        'sections',
        'Row ids must differ'
      )
      const https = (address: string | null | undefined) =>
        !address || /^https:\/\/[^\s]+$/.test(address)
      ;(content.cards ?? []).forEach((card, c) => {
        const at = `cards.${c}`
        need(
          rows.some((row) => row.id === card.id),
          `${at}.id`,
          'A card shows one of the rows'
        )
        need(chars(card.title) <= 200, `${at}.title`, 'At most 200 characters')
        need(card.lines.length <= 10, `${at}.lines`, 'At most 10 lines')
        need(https(card.image) && https(card.link), at, 'Images and links are https addresses')
      })
      content.sections.forEach((section, s) => {
        if (content.sections.length > 1) {
          need(
            chars(section.title?.trim()) > 0,
            `sections.${s}.title`,
            'With several sections, each needs a title'
          )
        }
        need(
          chars(section.title) <= LIMITS.sectionTitle,
          `sections.${s}.title`,
          `At most ${LIMITS.sectionTitle} characters`
        )
        section.rows.forEach((row, r) => {
          const at = `sections.${s}.rows.${r}`
          need(chars(row.title.trim()) > 0, `${at}.title`, 'Give the row a title')
          need(
            chars(row.title) <= LIMITS.rowTitle,
            `${at}.title`,
            `At most ${LIMITS.rowTitle} characters`
          )
          need(
            chars(row.description) <= LIMITS.rowDescription,
            `${at}.description`,
            `At most ${LIMITS.rowDescription} characters`
          )
          need(row.id.length > 0 && row.id.length <= 200, `${at}.id`, 'Each row needs an id')
        })
      })
      break
    }
    default:
      if (MEDIA.includes(content.type)) {
        const sources = [content.link, content.mediaId, content.file].filter(Boolean).length
        need(sources === 1, 'link', 'Give either a link or an uploaded file')
        if (content.file) {
          need(
            typeof content.file.key === 'string' &&
              typeof content.file.mimeType === 'string' &&
              /^[\w.+-]+\/[\w.+-]+$/.test(content.file.mimeType),
            'file',
            'An uploaded file needs its storage key and MIME type'
          )
        }
        if (content.link) need(isHttpsUrl(content.link), 'link', 'A public https:// link')
        need(
          chars(content.caption) <= LIMITS.caption,
          'caption',
          `At most ${LIMITS.caption} characters`
        )
        need(
          !content.caption || !['audio', 'sticker'].includes(content.type),
          'caption',
          `A ${content.type} cannot have a caption`
        )
      } else {
        problems.push({ field: 'type', message: 'Unknown message type' })
      }
  }
  return problems
}

function checkInteractiveText(
  content: { body: string; header?: string; footer?: string },
  need: (ok: boolean, field: string, message: string) => void,
  chars: (value: string | undefined) => number
) {
  need(chars(content.body.trim()) > 0, 'body', 'Write the message text')
  need(
    chars(content.body) <= LIMITS.interactiveBody,
    'body',
    `At most ${LIMITS.interactiveBody} characters`
  )
  need(
    chars(content.header) <= LIMITS.headerText,
    'header',
    `At most ${LIMITS.headerText} characters`
  )
  need(chars(content.footer) <= LIMITS.footer, 'footer', `At most ${LIMITS.footer} characters`)
}

function isHttpsUrl(value: string) {
  try {
    return new URL(value).protocol === 'https:'
  } catch {
    return false
  }
}

/** Templates may be sent any time; everything else only inside the 24-hour window. */
export function isFreeForm(content: OutboundContent) {
  return content.type !== 'template'
}

/** The stored message type: the interactive kinds are WhatsApp's `interactive`. */
export function storedType(content: OutboundContent) {
  return content.type === 'buttons' || content.type === 'list' || content.type === 'cta_url'
    ? 'interactive'
    : content.type
}

/**
 * The message's `media` record when it carries a file from our storage, so
 * the thread shows the file the member sent (as it shows inbound media);
 * null for everything else.
 */
export function storedMediaOf(content: OutboundContent): string | null {
  if (!('file' in content) || !content.file) return null
  const media: MessageMedia = {
    status: 'stored',
    storageKey: content.file.key,
    mimeType: content.file.mimeType,
    size: content.file.size,
    filename: content.filename ?? content.file.name,
    caption: content.caption,
  }
  return JSON.stringify(media)
}

/** A line of text for the thread and search. */
export function summaryOf(content: OutboundContent): string | null {
  switch (content.type) {
    case 'text':
      return content.text
    case 'template':
      return `${content.name} (${content.language})${content.variables?.length ? ': ' + content.variables.join(' · ') : ''}`
    case 'buttons':
    case 'list':
    case 'cta_url':
      return content.body
    default:
      return content.caption ?? content.filename ?? null
  }
}

/**
 * The Cloud API request body for sending `content` to `to` (E.164 or wa_id).
 */
export function toGraphMessage(to: string, content: OutboundContent): Record<string, unknown> {
  const base = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: to.replace(/^\+/, ''),
  }
  const optionalText = (text?: string) => (text ? { text } : undefined)
  switch (content.type) {
    case 'text':
      return {
        ...base,
        type: 'text',
        text: { body: content.text, preview_url: !!content.previewUrl },
      }
    case 'template': {
      const components: unknown[] = []
      if (content.headerMedia) {
        components.push({
          type: 'header',
          parameters: [
            {
              type: content.headerMedia.type,
              [content.headerMedia.type]: { link: content.headerMedia.link },
            },
          ],
        })
      }
      if (content.variables?.length) {
        components.push({
          type: 'body',
          parameters: content.variables.map((text) => ({ type: 'text', text })),
        })
      }
      return {
        ...base,
        type: 'template',
        template: { name: content.name, language: { code: content.language }, components },
      }
    }
    case 'buttons':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'button',
          header: content.header ? { type: 'text', text: content.header } : undefined,
          body: { text: content.body },
          footer: optionalText(content.footer),
          action: {
            buttons: content.buttons.map((b) => ({
              type: 'reply',
              reply: { id: b.id, title: b.title },
            })),
          },
        },
      }
    case 'cta_url':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'cta_url',
          header: content.header ? { type: 'text', text: content.header } : undefined,
          body: { text: content.body },
          footer: optionalText(content.footer),
          action: {
            name: 'cta_url',
            parameters: { display_text: content.displayText, url: content.url },
          },
        },
      }
    case 'list':
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'list',
          header: content.header ? { type: 'text', text: content.header } : undefined,
          body: { text: content.body },
          footer: optionalText(content.footer),
          action: { button: content.button, sections: content.sections },
        },
      }
    default: {
      const media: Record<string, unknown> = content.mediaId
        ? { id: content.mediaId }
        : { link: content.link }
      if (content.caption) media.caption = content.caption
      if (content.type === 'document' && content.filename) media.filename = content.filename
      return { ...base, type: content.type, [content.type]: media }
    }
  }
}
