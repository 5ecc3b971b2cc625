import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import type aiConfig from '#config/ai'
import { openAiClient } from '#modules/brain/index'
import { parseAmount, type ExtractedField, type QuoteExtraction } from './quote_extractor.js'

/*
| The chat-model path of the quote extractor, when a chat model is
| configured (AI_BASE_URL and AI_CHAT_MODEL): the PDF's text, page by page,
| goes to the model with a JSON schema for the answer (`response_format:
| json_schema`). The answer is checked against that schema; a malformed one
| is asked for once more, then the offline extractor reads the quote
| instead (null here). A figure the model gives is kept only if it is
| written on the page it names: a field it cannot ground is marked missing,
| never invented.
*/

const MAX_PAGE_CHARS = 6_000
const MAX_PAGES = 12

const FIELD_NAMES = [
  'insurer',
  'product',
  'premium',
  'currency',
  'period',
  'coverage_limit',
  'deductible',
  'exclusions',
] as const

function fieldSchema(value: Record<string, unknown>) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['value', 'page'],
    properties: {
      value: { anyOf: [value, { type: 'null' }] },
      page: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] },
    },
  }
}

/** The answer's JSON schema, sent with the request and checked on the answer. */
export const QUOTE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: [...FIELD_NAMES],
  properties: {
    insurer: fieldSchema({ type: 'string' }),
    product: fieldSchema({ type: 'string' }),
    premium: fieldSchema({ type: 'number' }),
    currency: fieldSchema({ type: 'string' }),
    period: fieldSchema({ type: 'string' }),
    coverage_limit: fieldSchema({ type: 'number' }),
    deductible: fieldSchema({ type: 'number' }),
    exclusions: fieldSchema({ type: 'array', items: { type: 'string' } }),
  },
}

const SYSTEM_PROMPT = [
  'You read one insurance quote and return its key terms as JSON matching the schema.',
  'The quote text is given page by page as "[page N]". It may be in English or Arabic.',
  'For each field give the value exactly as the quote states it and the page it is on.',
  'premium, coverage_limit and deductible are plain numbers (no currency, no separators);',
  'currency is an ISO code such as AED or USD. exclusions are the main exclusions, short.',
  'If the quote does not state a field, its value and page are null. Never guess.',
].join(' ')

type Raw = Record<string, { value: unknown; page: unknown }>

/** Whether an answer has the schema's shape; the first problem when it does not. */
export function checkModelAnswer(answer: unknown): string | null {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return 'not an object'
  const raw = answer as Raw
  for (const name of FIELD_NAMES) {
    const entry = raw[name]
    if (!entry || typeof entry !== 'object') return `${name} is missing`
    const { value, page } = entry
    if (page !== null && !(Number.isInteger(page) && (page as number) >= 1)) {
      return `${name}.page is not a page number`
    }
    if (value === null) continue
    const ok =
      name === 'premium' || name === 'coverage_limit' || name === 'deductible'
        ? typeof value === 'number' && Number.isFinite(value)
        : name === 'exclusions'
          ? Array.isArray(value) && value.every((v) => typeof v === 'string')
          : typeof value === 'string'
    if (!ok) return `${name}.value has the wrong type`
  }
  return null
}

function digitsOf(text: string) {
  return text.replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660)).replace(/[,٬\s]/g, '')
}

function foldText(text: string) {
  return text.toLowerCase().replace(/\s+/g, ' ')
}

/** Whether the value is written on that page (a number: any amount there equal to it). */
function grounded(name: string, value: unknown, page: string) {
  if (typeof value === 'number') {
    if (digitsOf(page).includes(String(value))) return true
    return page.split('\n').some((line) => parseAmount(line)?.amount === value)
  }
  if (typeof value === 'string') {
    if (name === 'currency') return true
    return foldText(page).includes(foldText(value).slice(0, 60))
  }
  return Array.isArray(value) && value.length > 0
}

/** The checked answer as an extraction: ungrounded figures are missing. */
export function extractionFromModel(answer: Raw, pages: string[]): QuoteExtraction {
  const out: Record<string, ExtractedField<unknown>> = {}
  for (const name of FIELD_NAMES) {
    const { value, page } = answer[name]
    const text = typeof page === 'number' ? pages[page - 1] : undefined
    const blank = value === null || (typeof value === 'string' && !value.trim())
    if (blank || text === undefined || !grounded(name, value, text)) {
      out[name] = { value: null, page: null, source: null, missing: true }
      continue
    }
    const kept = name === 'currency' ? String(value).toUpperCase().slice(0, 8) : (value as unknown)
    out[name] = { value: kept, page: page as number, source: 'model', missing: false }
  }
  // A currency is only as good as the premium it prices.
  if (out.premium.missing) out.currency = { value: null, page: null, source: null, missing: true }
  return out as unknown as QuoteExtraction
}

export function modelConfigured() {
  const config = app.config.get<typeof aiConfig>('ai')
  return Boolean(config.baseUrl && config.chatModel)
}

/**
 * The quote as the chat model reads it, or null: no model configured, the
 * model failed, or it answered malformed twice (the caller then reads it
 * offline).
 */
export async function extractWithModel(pages: string[]): Promise<QuoteExtraction | null> {
  const config = app.config.get<typeof aiConfig>('ai')
  if (!config.baseUrl || !config.chatModel) return null
  const text = pages
    .slice(0, MAX_PAGES)
    .map((page, i) => `[page ${i + 1}]\n${page.slice(0, MAX_PAGE_CHARS)}`)
    .join('\n\n')
  const client = openAiClient(config)
  const messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: text },
  ]
  for (let attempt = 1; attempt <= 2; attempt++) {
    let content: string | null
    try {
      const completion = await client.chat.completions.create({
        model: config.chatModel,
        temperature: 0,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'insurance_quote', strict: true, schema: QUOTE_SCHEMA },
        },
        messages,
      })
      content = completion.choices?.[0]?.message?.content ?? null
    } catch (error) {
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'quotes: the chat model failed; reading offline'
      )
      return null
    }
    let parsed: unknown = null
    try {
      parsed = content ? JSON.parse(content) : null
    } catch {
      parsed = null
    }
    const problem = parsed === null ? 'not JSON' : checkModelAnswer(parsed)
    if (!problem) return extractionFromModel(parsed as Raw, pages)
    logger.warn({ attempt, problem }, 'quotes: the chat model answered off the schema')
    // Once more, told what was wrong.
    messages.push(
      { role: 'assistant', content: content ?? '' },
      {
        role: 'user',
        content: `That answer does not match the schema (${problem}). Answer again with JSON only.`,
      }
    )
  }
  return null
}
