import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import type { FormMeta } from '#app/validation/phone_rule'
import { RECEIPT_STATUSES } from '../services/webchat_service.js'

/*
| Web chat: the channel form in the workspace, and what the widget sends.
*/

/** `#rrggbb` only: the widget's stylesheet and its contrast check rely on it. */
const sixDigitHex = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (!field.isValid) return
  if (typeof value !== 'string' || !/^#[0-9a-f]{6}$/i.test(value)) {
    field.report((field.meta as FormMeta).t('channels.webchat.validation.color'), 'hexCode', field)
  }
})

/**
 * A site that may embed the widget, as a browser names it: scheme, host and
 * an optional port, nothing after. `https://*.example.com` covers
 * subdomains (the Content-Security-Policy understands that form).
 */
const ORIGIN =
  /^https?:\/\/(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/

/** Origins typed one per line (or separated by commas), trailing slashes forgiven. */
export function parseOriginList(raw: string | null | undefined) {
  const origins: string[] = []
  let invalid: string | null = null
  for (const entry of (raw ?? '').split(/[\s,]+/)) {
    const origin = entry.trim().toLowerCase().replace(/\/+$/, '')
    if (!origin) continue
    if (!ORIGIN.test(origin)) {
      invalid ??= entry.trim()
      continue
    }
    if (!origins.includes(origin)) origins.push(origin)
  }
  return { origins, invalid }
}

const MAX_ORIGINS = 20

const originList = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string' || !field.isValid) return
  const { t } = field.meta as FormMeta
  const { origins, invalid } = parseOriginList(value)
  if (invalid) {
    field.report(t('channels.webchat.validation.origin', { origin: invalid }), 'origin', field)
  } else if (origins.length > MAX_ORIGINS) {
    field.report(
      t('channels.webchat.validation.too_many_origins', { max: MAX_ORIGINS }),
      'origins',
      field
    )
  }
})

const channelName = () => vine.string().trim().minLength(1).maxLength(120)

const webchatChannelFields = {
  welcome_en: vine.string().trim().maxLength(1000).optional(),
  welcome_ar: vine.string().trim().maxLength(1000).optional(),
  allowed_origins: vine.string().trim().maxLength(4000).use(originList()).optional(),
  brand_color: vine.string().trim().use(sixDigitHex()).optional(),
}

/**
 * The channels page holds the WhatsApp form too, so the new channel's name
 * has a field name of its own: an error on one form must not show on both.
 */
export const addWebchatChannelValidator = vine.compile(
  vine.object({ webchat_name: channelName(), ...webchatChannelFields })
)
export const updateWebchatChannelValidator = vine.compile(
  vine.object({ name: channelName(), ...webchatChannelFields })
)

/** A visitor opening a chat; everything is optional. */
export const webchatSessionValidator = vine.compile(
  vine.object({
    name: vine.string().trim().maxLength(200).optional(),
    email: vine.string().trim().maxLength(254).email().optional(),
    locale: vine.enum(['en', 'ar'] as const).optional(),
  })
)

/**
 * A visitor's message. `clientId` is made by the widget for each message
 * and sent again on a retry: the same id is stored once.
 */
export const visitorMessageValidator = vine.compile(
  vine.object({
    text: vine
      .string()
      .maxLength(4096)
      .use(
        vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
          if (typeof value === 'string' && !value.trim()) {
            field.report('Write a message', 'required', field)
          }
        })()
      ),
    clientId: vine.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    choiceId: vine.string().maxLength(256).optional(),
  })
)

/**
 * A widget's receipt: the team's messages up to the cursor `upTo` reached
 * the visitor's page (`delivered`) or were seen (`read`).
 */
export const visitorReceiptValidator = vine.compile(
  vine.object({
    status: vine.enum(RECEIPT_STATUSES),
    upTo: vine.string().regex(/^\d{1,18}$/),
  })
)
