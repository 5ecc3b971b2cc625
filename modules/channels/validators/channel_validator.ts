import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { e164, type FormMeta } from '#app/validation/phone_rule'
import { MAX_KEYWORD_LENGTH, normalizeKeyword } from '../services/opt_out_service.js'

/**
 * The ids Meta shows for a number are digits; webhooks are routed by the
 * phone number id. Vine's generic "not in the expected format" would not
 * say where to look, so this rule names the place.
 */
const metaDigits = vine.createRule(
  (
    value: unknown,
    options: { key: 'phone_number_id' | 'waba_id' | 'meta_app_id' },
    field: FieldContext
  ) => {
    if (typeof value !== 'string' || /^\d{1,64}$/.test(value)) return
    const { t } = field.meta as FormMeta
    field.report(t(`channels.validation.${options.key}`), 'digits', field)
  }
)

/** Each opt-out word or phrase is short (see MAX_KEYWORD_LENGTH). */
const shortWords = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string') return
  if (value.split(',').every((word) => normalizeKeyword(word).length <= MAX_KEYWORD_LENGTH)) {
    return
  }
  const { t } = field.meta as FormMeta
  field.report(
    t('channels.validation.opt_out_word_length', { max: MAX_KEYWORD_LENGTH }),
    'wordLength',
    field
  )
})

const secret = () => vine.string().trim().minLength(8).maxLength(2000)
const verifyToken = () => vine.string().trim().minLength(8).maxLength(200)

export const addWhatsAppChannelValidator = vine.compile(
  vine.object({
    name: vine.string().trim().maxLength(120).optional(),
    phone_number_id: vine
      .string()
      .trim()
      .use(metaDigits({ key: 'phone_number_id' })),
    waba_id: vine
      .string()
      .trim()
      .use(metaDigits({ key: 'waba_id' })),
    display_number: vine.string().trim().maxLength(32).use(e164()),
    access_token: secret(),
    app_secret: secret(),
    verify_token: verifyToken(),
  })
)

export const updateChannelValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120),
    display_number: vine.string().trim().maxLength(32).use(e164()).optional(),
    messages_per_second: vine.number().withoutDecimals().min(1).max(1000).optional(),
    opt_out_words: vine.string().trim().maxLength(1000).use(shortWords()).optional(),
    meta_app_id: vine
      .string()
      .trim()
      .use(metaDigits({ key: 'meta_app_id' }))
      .optional(),
  })
)

/** Blank fields keep the stored value. */
export const rotateSecretsValidator = vine.compile(
  vine.object({
    access_token: secret().optional(),
    app_secret: secret().optional(),
    verify_token: verifyToken().optional(),
  })
)

export const channelStatusValidator = vine.compile(
  vine.object({ status: vine.enum(['active', 'disabled'] as const) })
)

/** Opt-out words as typed: comma-separated, duplicates (in any case) dropped. */
export function parseWordList(raw: string | undefined | null) {
  const words = new Map<string, string>()
  for (const word of (raw ?? '').split(',')) {
    const clean = word.trim().replace(/\s+/g, ' ')
    if (clean && !words.has(clean.toLowerCase())) words.set(clean.toLowerCase(), clean)
  }
  return [...words.values()]
}
