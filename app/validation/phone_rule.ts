import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'

/**
 * Our forms' messages are translated through the request's `t`, passed as
 * validation metadata; the standard ones come from resources/lang/<locale>/validator.json.
 */
export type Translate = (key: string, data?: Record<string, unknown>) => string

export interface FormMeta {
  t: Translate
}

/**
 * A phone number in E.164 (`+` then 8 to 15 digits), as people type it:
 * spaces, dashes, dots and parentheses are dropped and a leading 00 becomes +.
 * Returns null when what is left is not a number WhatsApp could reach.
 */
export function normalizeE164(raw: string): string | null {
  let value = raw.trim().replace(/[\s\-().]/g, '')
  if (value.startsWith('00')) value = `+${value.slice(2)}`
  return /^\+[1-9]\d{7,14}$/.test(value) ? value : null
}

/** Validates a phone number and replaces it by its E.164 form. */
export const e164 = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string' || !field.isValid) return
  const normalized = normalizeE164(value)
  if (!normalized) {
    const { t } = field.meta as FormMeta
    field.report(t('contacts.validation.phone_format'), 'e164', field)
    return
  }
  field.mutate(normalized, field)
})
