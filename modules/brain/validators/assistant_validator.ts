import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { WEEKDAYS, isValidTimezone } from '../services/assistant_settings.js'

/** The validator's meta: the request's translator, for messages in the member's language. */
interface FormMeta {
  t: (key: string, data?: Record<string, unknown>) => string
}

export const MAX_INSTRUCTIONS = 2000
export const MAX_HANDOFF_WORDS = 30
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/

/** Handoff words as typed: one per line or comma-separated (Arabic commas too). */
export function parseHandoffWords(raw: string | null | undefined): string[] {
  return [
    ...new Set(
      (raw ?? '')
        .split(/[\n,،]/)
        .map((word) => word.trim().replace(/\s+/g, ' '))
        .filter(Boolean)
    ),
  ]
}

const timezone = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string') return
  if (!isValidTimezone(value)) {
    field.report((field.meta as FormMeta).t('assistant.validation.timezone'), 'timezone', field)
  }
})

const handoffWords = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string') return
  const words = parseHandoffWords(value)
  if (words.length > MAX_HANDOFF_WORDS || words.some((word) => word.length > 60)) {
    field.report(
      (field.meta as FormMeta).t('assistant.validation.handoff_words', { max: MAX_HANDOFF_WORDS }),
      'handoff_words',
      field
    )
  }
})

const hourFields = Object.fromEntries(
  WEEKDAYS.flatMap((day) => [
    [`open_${day}`, vine.string().trim().regex(TIME).optional()],
    [`close_${day}`, vine.string().trim().regex(TIME).optional()],
  ])
)

/** A channel's assistant settings form. */
export const assistantSettingsValidator = vine.compile(
  vine.object({
    enabled: vine.boolean().optional(),
    persona_name: vine.string().trim().maxLength(80).optional(),
    instructions: vine.string().trim().maxLength(MAX_INSTRUCTIONS).optional(),
    language: vine.enum(['auto', 'en', 'ar'] as const),
    active_mode: vine.enum(['always', 'outside_hours'] as const),
    timezone: vine.string().trim().maxLength(64).use(timezone()),
    confidence_threshold: vine.number().min(0).max(1),
    handoff_words: vine.string().trim().maxLength(3000).use(handoffWords()).optional(),
    max_failures: vine.number().withoutDecimals().min(1).max(10),
    cite_sources: vine.boolean().optional(),
    draft_replies: vine.boolean().optional(),
    ...hourFields,
  })
)

/**
 * The weekly hours from the form's open_N/close_N pairs: a day with both
 * times is open from one to the other, a day with neither is closed. A
 * half-filled day or one that closes before it opens is the first problem
 * reported, with its field.
 */
export function businessHoursFrom(data: Record<string, unknown>) {
  const hours: Record<string, [string, string]> = {}
  for (const day of WEEKDAYS) {
    const open = (data[`open_${day}`] as string | undefined) || ''
    const close = (data[`close_${day}`] as string | undefined) || ''
    if (!open && !close) continue
    if (!open || !close || close <= open) {
      return { hours, problem: { field: open ? `close_${day}` : `open_${day}`, day } }
    }
    hours[String(day)] = [open, close]
  }
  return { hours, problem: null }
}
