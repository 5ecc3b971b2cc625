import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import type { FormMeta } from '#app/validation/phone_rule'
import {
  MAX_CANNED_BODY,
  MAX_CANNED_TITLE,
  SHORTCUT_PATTERN,
} from '../services/canned_response_service.js'

/**
 * The shortcut may be typed with its slash and in capitals; it is kept as the
 * lowercase word, which must be a-z, 0-9, _ or - (what the composer's `/`
 * menu and the no-JavaScript expansion recognise).
 */
const shortcutWord = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string' || !field.isValid) return
  const word = value.replace(/^\//, '').toLowerCase()
  if (!SHORTCUT_PATTERN.test(word)) {
    const { t } = field.meta as FormMeta
    field.report(t('composer.canned.validation.shortcut'), 'shortcut', field)
    return
  }
  field.mutate(word, field)
})

/** A canned response as the settings form sends it. */
export const cannedResponseValidator = vine.compile(
  vine.object({
    shortcut: vine.string().trim().maxLength(33).use(shortcutWord()),
    title: vine.string().trim().maxLength(MAX_CANNED_TITLE),
    body: vine.string().trim().maxLength(MAX_CANNED_BODY),
  })
)
