import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { e164, type FormMeta } from '#app/validation/phone_rule'

export const OPT_IN_STATES = ['unknown', 'opted_in', 'opted_out'] as const
export type OptInState = (typeof OPT_IN_STATES)[number]

const MAX_TAGS = 30
const MAX_TAG_LENGTH = 50
const MAX_ATTRIBUTES = 50
const MAX_ATTRIBUTE_KEY = 64
const MAX_ATTRIBUTE_VALUE = 500

/** Tags as typed: comma-separated, trimmed, duplicates (in any case) dropped. */
export function parseTags(raw: string | null | undefined): string[] {
  const tags = new Map<string, string>()
  for (const part of (raw ?? '').split(',')) {
    const tag = part.trim().replace(/\s+/g, ' ')
    if (tag && !tags.has(tag.toLowerCase())) tags.set(tag.toLowerCase(), tag)
  }
  return [...tags.values()]
}

/**
 * Custom attributes as typed: one `key=value` per line. Returns the problem
 * line (1-based) when one is not of that shape.
 */
export function parseAttributes(
  raw: string | null | undefined
): { attributes: Record<string, string> } | { badLine: number } {
  const attributes: Record<string, string> = {}
  const lines = (raw ?? '').split(/\r?\n/)
  for (const [index, line] of lines.entries()) {
    if (!line.trim()) continue
    const eq = line.indexOf('=')
    const key = eq > 0 ? line.slice(0, eq).trim() : ''
    const value = eq > 0 ? line.slice(eq + 1).trim() : ''
    if (!key || key.length > MAX_ATTRIBUTE_KEY || value.length > MAX_ATTRIBUTE_VALUE) {
      return { badLine: index + 1 }
    }
    attributes[key] = value
  }
  return { attributes }
}

/** The textarea form of stored attributes, for the edit form. */
export function attributesToText(attributes: Record<string, unknown>) {
  return Object.entries(attributes)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n')
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

const attributeLines = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string') return
    const { t } = field.meta as FormMeta
    const parsed = parseAttributes(value)
    if ('badLine' in parsed) {
      field.report(
        t('contacts.validation.attribute_line', {
          line: parsed.badLine,
          key: MAX_ATTRIBUTE_KEY,
          value: MAX_ATTRIBUTE_VALUE,
        }),
        'attributes',
        field
      )
    } else if (Object.keys(parsed.attributes).length > MAX_ATTRIBUTES) {
      field.report(
        t('contacts.validation.too_many_attributes', { max: MAX_ATTRIBUTES }),
        'attributes',
        field
      )
    }
  }
)

const editableFields = {
  name: vine.string().trim().maxLength(200).optional(),
  email: vine.string().trim().email().maxLength(254).optional(),
  tags: vine.string().trim().maxLength(2000).use(tagList()).optional(),
  notes: vine.string().trim().maxLength(5000).optional(),
  attributes: vine.string().maxLength(20000).use(attributeLines()).optional(),
  opt_in: vine.enum(OPT_IN_STATES),
}

export const createContactValidator = vine.compile(
  vine.object({
    phone: vine.string().trim().maxLength(40).use(e164()),
    ...editableFields,
  })
)

/** The phone is the contact's identity on WhatsApp: it is not edited. */
export const updateContactValidator = vine.compile(vine.object(editableFields))
