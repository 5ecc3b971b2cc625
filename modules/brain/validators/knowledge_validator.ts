import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'

/** The validator's meta: the request's translator, for messages in the member's language. */
export interface FormMeta {
  t: (key: string, data?: Record<string, unknown>) => string
}

/** The service's own limits (source_service.ts), checked here first to answer on the field. */
export const MAX_TAGS = 20
export const MAX_TAG_LENGTH = 50
export const MAX_TITLE = 200
/** Question rows the form shows without JavaScript; Alpine adds more. */
export const FAQ_FORM_ROWS = 5
export const MAX_FAQ_ROWS = 200

/** Tags as typed: comma-separated (Arabic commas too), trimmed, duplicates dropped. */
export function parseTags(raw: string | null | undefined): string[] {
  const tags = new Map<string, string>()
  for (const part of (raw ?? '').split(/[,،]/)) {
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
    field.report(t('knowledge.validation.too_many_tags', { max: MAX_TAGS }), 'tags', field)
  } else if (tags.some((tag) => tag.length > MAX_TAG_LENGTH)) {
    field.report(t('knowledge.validation.tag_too_long', { max: MAX_TAG_LENGTH }), 'tags', field)
  }
})

const tags = vine.string().trim().maxLength(2000).use(tagList()).optional()
const optionalTitle = vine.string().trim().maxLength(MAX_TITLE).optional()

export const textSourceValidator = vine.compile(
  vine.object({
    title: vine.string().trim().maxLength(MAX_TITLE),
    text: vine.string().trim(),
    tags,
  })
)

export const urlSourceValidator = vine.compile(
  vine.object({
    url: vine
      .string()
      .trim()
      .maxLength(2000)
      .url({ require_protocol: true, protocols: ['http', 'https'] }),
    title: optionalTitle,
    tags,
  })
)

/**
 * FAQ rows arrive as `faq[0][question]`, `faq[0][answer]`, ...; blank rows
 * are dropped and a half-filled one is reported on its own row.
 */
export const faqSourceValidator = vine.compile(
  vine.object({
    title: vine.string().trim().maxLength(MAX_TITLE),
    faq: vine
      .array(
        vine.object({
          question: vine.string().trim().maxLength(2000).optional(),
          answer: vine.string().trim().maxLength(20000).optional(),
        })
      )
      .maxLength(MAX_FAQ_ROWS)
      .optional(),
    tags,
  })
)

/** The fields beside uploaded files; the files themselves are checked in the controller. */
export const fileSourceValidator = vine.compile(vine.object({ title: optionalTitle, tags }))

export const updateSourceValidator = vine.compile(
  vine.object({ title: vine.string().trim().maxLength(MAX_TITLE), tags })
)

export const SEARCH_MODES = ['search', 'ask'] as const
export type SearchMode = (typeof SEARCH_MODES)[number]
