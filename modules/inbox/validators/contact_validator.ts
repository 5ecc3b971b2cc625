import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { e164, type FormMeta } from '#app/validation/phone_rule'
import { LANGUAGE_TAG, isTimeZone } from '../services/contact_locale.js'

export const OPT_IN_STATES = ['unknown', 'opted_in', 'opted_out'] as const
export type OptInState = (typeof OPT_IN_STATES)[number]

/** The contact list's query string: search, tag, consent and page (read with readQuery). */
export const contactListQueryValidator = vine.compile(
  vine.object({
    q: vine
      .string()
      .trim()
      .transform((value) => value.slice(0, 100))
      .optional(),
    tag: vine
      .string()
      .trim()
      .transform((value) => value.slice(0, 50))
      .optional(),
    opt_in: vine.enum([...OPT_IN_STATES, 'all' as const]).optional(),
    page: vine.number().withoutDecimals().min(1).max(1_000_000).optional(),
  })
)

export const MAX_TAGS = 30
export const MAX_TAG_LENGTH = 50

/** Tags as typed: comma-separated, trimmed, duplicates (in any case) dropped. */
export function parseTags(raw: string | null | undefined): string[] {
  const tags = new Map<string, string>()
  for (const part of (raw ?? '').split(',')) {
    const tag = part.trim().replace(/\s+/g, ' ')
    if (tag && !tags.has(tag.toLowerCase())) tags.set(tag.toLowerCase(), tag)
  }
  return [...tags.values()]
}

const tagList = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string') return
  const { t } = field.meta as FormMeta
  const tags = parseTags(value)
  if (tags.length > MAX_TAGS) {
    field.report(t('contacts.validation.too_many_tags', { max: MAX_TAGS }), 'tags', field)
  } else if (tags.some((tag) => tag.length > MAX_TAG_LENGTH)) {
    field.report(t('contacts.validation.tag_too_long', { max: MAX_TAG_LENGTH }), 'tags', field)
  }
})

const timeZone = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string' || !value) return
  if (!isTimeZone(value)) {
    const { t } = field.meta as FormMeta
    field.report(t('contacts.validation.time_zone'), 'time_zone', field)
  }
})

const languageTag = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value !== 'string' || !value) return
  if (!LANGUAGE_TAG.test(value)) {
    const { t } = field.meta as FormMeta
    field.report(t('contacts.validation.language'), 'language', field)
  }
})

/** Custom field values arrive as `cf_<key>` form fields (flat, so errors and old input line up). */
export const CUSTOM_FIELD_PREFIX = 'cf_'

export function customFieldInput(body: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith(CUSTOM_FIELD_PREFIX)) values[name.slice(CUSTOM_FIELD_PREFIX.length)] = value
  }
  return values
}

const editableFields = {
  name: vine.string().trim().maxLength(200).optional(),
  email: vine.string().trim().email().maxLength(254).optional(),
  tags: vine.string().trim().maxLength(2000).use(tagList()).optional(),
  notes: vine.string().trim().maxLength(5000).optional(),
  opt_in: vine.enum(OPT_IN_STATES),
  marketing_consent: vine.enum(OPT_IN_STATES).optional(),
  time_zone: vine.string().trim().maxLength(64).use(timeZone()).optional(),
  language: vine.string().trim().maxLength(16).use(languageTag()).optional(),
}

export const createContactValidator = vine.compile(
  vine.object({
    phone: vine.string().trim().maxLength(40).use(e164()),
    ...editableFields,
  })
)

/** The phone is the contact's identity on WhatsApp: it is not edited. */
export const updateContactValidator = vine.compile(vine.object(editableFields))
