import { extname } from 'node:path'
import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import type { MultipartFile } from '@adonisjs/core/bodyparser'
import app from '@adonisjs/core/services/app'
import type { SourceKind, SourceStatus } from '../models/knowledge_source.js'
import { SOURCE_FILE_EXTENSIONS } from '../services/source_service.js'

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

type FaqRow = { question?: string | null; answer?: string | null } | null

/**
 * At least one row filled, and no row with a question but no answer (or
 * the reverse), reported with the row's number as the member saw it.
 */
const completeFaq = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  const rows = Array.isArray(value) ? (value as FaqRow[]) : []
  const { t } = field.meta as FormMeta
  const filled = (row: FaqRow) => Boolean(row?.question || row?.answer)
  if (!rows.some(filled)) return field.report(t('knowledge.validation.faq_empty'), 'faq', field)
  const half = rows.findIndex((row) => filled(row) && !(row?.question && row?.answer))
  if (half >= 0) {
    field.report(t('knowledge.validation.faq_incomplete', { n: half + 1 }), 'faq', field)
  }
})

/**
 * FAQ rows arrive as `faq[0][question]`, `faq[0][answer]`, ...; blank rows
 * are left for filledFaq to drop, and a half-filled one is reported with
 * its number.
 */
/** The validated rows that hold a question and its answer. */
export function filledFaq(rows: FaqRow[]) {
  return rows.flatMap((row) =>
    row?.question && row.answer ? [{ question: row.question, answer: row.answer }] : []
  )
}

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
      .use(completeFaq()),
    tags,
  })
)

/** The largest file a source may be, from config/brain.ts. */
export function maxFileBytes() {
  return app.config.get<number>('brain.maxFileBytes')
}

/** That limit as the forms state it, in megabytes to one decimal. */
export function maxMegabytes() {
  return Math.round((maxFileBytes() / 1024 / 1024) * 10) / 10
}

/**
 * What is wrong with one uploaded file, in the member's language and naming
 * the file (so a member who chose five knows which one), or null.
 */
function fileProblem(file: MultipartFile, t: FormMeta['t']) {
  const name = file.clientName
  if (!SOURCE_FILE_EXTENSIONS.includes(extname(name).toLowerCase())) {
    return t('knowledge.validation.file_type', { name })
  }
  if (file.size > maxFileBytes()) {
    return t('knowledge.validation.file_size', { name, max: maxMegabytes() })
  }
  if (file.size === 0) return t('knowledge.validation.file_empty', { name })
  if (!file.tmpPath) return t('knowledge.validation.file_required')
  return null
}

/** Every file of the list readable as a source; the first problem is reported on the list. */
const readableFiles = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (!Array.isArray(value)) return
    const { t } = field.meta as FormMeta
    for (const file of value as MultipartFile[]) {
      const problem = fileProblem(file, t)
      if (problem) return field.report(problem, 'source_file', field)
    }
  }
)

const readableFile = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  const problem = fileProblem(value as MultipartFile, (field.meta as FormMeta).t)
  if (problem) field.report(problem, 'source_file', field)
})

/**
 * New file sources: one or more files (a browser sends a nameless empty part
 * when none was chosen; the controller leaves those out), a title for a
 * single file, tags. None is kept unless every file is acceptable.
 */
export const fileSourceValidator = vine.compile(
  vine.object({
    title: optionalTitle,
    tags,
    files: vine.array(vine.file()).minLength(1).use(readableFiles()),
  })
)

/** A new version of an uploaded source's file. */
export const replaceFileValidator = vine.compile(
  vine.object({ file: vine.file().use(readableFile()) })
)

/** Upload fields' messages that are not about one file (none chosen). */
export const fileMessages = (t: FormMeta['t']) =>
  new SimpleMessagesProvider(
    {
      'files.array.minLength': t('knowledge.validation.file_required'),
      'files.required': t('knowledge.validation.file_required'),
      'file.required': t('knowledge.validation.file_required'),
      'file.file': t('knowledge.validation.file_required'),
    },
    {}
  )

/*
| The Knowledge pages' query strings, read with readQuery (app/validation/
| query.ts): a refused value is dropped and the page shows its default.
*/
export const SOURCE_STATUSES: SourceStatus[] = ['queued', 'processing', 'ready', 'failed']
export const SOURCE_KINDS: SourceKind[] = ['file', 'url', 'text', 'faq']
/** Passages shown on a source page at first; "show more" adds this many again. */
export const CHUNKS_STEP = 20
const MAX_CHUNKS_SHOWN = 2000

export const sourceListQueryValidator = vine.compile(
  vine.object({
    q: vine.string().trim().maxLength(200).optional(),
    status: vine.enum(SOURCE_STATUSES).optional(),
    kind: vine.enum(SOURCE_KINDS).optional(),
    tag: vine.string().trim().maxLength(MAX_TAG_LENGTH).optional(),
    cursor: vine.string().trim().maxLength(200).optional(),
  })
)

export const newSourceQueryValidator = vine.compile(
  vine.object({ kind: vine.enum(SOURCE_KINDS).optional() })
)

export const sourcePageQueryValidator = vine.compile(
  vine.object({
    chunks: vine.number().withoutDecimals().range([1, MAX_CHUNKS_SHOWN]).optional(),
  })
)

export const updateSourceValidator = vine.compile(
  vine.object({ title: vine.string().trim().maxLength(MAX_TITLE), tags })
)

export const SEARCH_MODES = ['search', 'ask'] as const
export type SearchMode = (typeof SEARCH_MODES)[number]

export const knowledgeSearchQueryValidator = vine.compile(
  vine.object({
    q: vine
      .string()
      .trim()
      .transform((value) => value.slice(0, 2000))
      .optional(),
    mode: vine.enum(SEARCH_MODES).optional(),
    tag: vine.string().trim().maxLength(MAX_TAG_LENGTH).optional(),
  })
)
