/*
| Column types of a dataset: what each is stored as, how a written value
| (a CSV cell, a JSON value) becomes a typed one, and how a column's type is
| guessed from its first values.
*/

export const COLUMN_TYPES = [
  'text',
  'integer',
  'number',
  'money',
  'boolean',
  'date',
  'choice',
  'url',
  'image_url',
  'phone',
] as const
export type ColumnType = (typeof COLUMN_TYPES)[number]

export interface DatasetColumn {
  name: string
  /** The row table's column: c1, c2, ... in order; never reused. */
  slot: string
  type: ColumnType
  /** ISO 4217 code for money columns (AED, USD), else null. */
  currency: string | null
  filterable: boolean
  searchable: boolean
  shown: boolean
  /** Other words people use for the column ("br", "bed", "غرف" for bedrooms). */
  synonyms: string[]
  /** The values of a choice column seen so far (kept for the query parser). */
  choices: string[]
}

export const NUMERIC_TYPES: ColumnType[] = ['integer', 'number', 'money']
export const TEXTUAL_TYPES: ColumnType[] = ['text', 'choice', 'url', 'image_url', 'phone']

/** What each type is in PostgreSQL. */
export function sqlTypeOf(type: ColumnType) {
  switch (type) {
    case 'integer':
      return 'bigint'
    case 'number':
      return 'double precision'
    case 'money':
      return 'numeric(20,2)'
    case 'boolean':
      return 'boolean'
    case 'date':
      return 'date'
    default:
      return 'text'
  }
}

export type TypedValue = string | number | boolean | null

export class ValueError extends Error {}

const CURRENCY_SIGNS: Record<string, string> = {
  '$': 'USD',
  '€': 'EUR',
  '£': 'GBP',
  'د.إ': 'AED',
  'درهم': 'AED',
  'dhs': 'AED',
  'dh': 'AED',
  'aed': 'AED',
  'usd': 'USD',
  'eur': 'EUR',
  'gbp': 'GBP',
  'sar': 'SAR',
  'ريال': 'SAR',
}
const CURRENCY_WORDS = Object.keys(CURRENCY_SIGNS)
  .sort((a, b) => b.length - a.length)
  .map((word) => word.replace(/[.$]/g, (char) => `\\${char}`))
  .join('|')
const MONEY_RE = new RegExp(
  `^(?:(${CURRENCY_WORDS})\\s*)?([-+]?[\\d.,]+)\\s*([km])?\\s*(${CURRENCY_WORDS})?$`,
  'i'
)

function toAsciiDigits(text: string) {
  return text
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/\u066B/g, '.')
    .replace(/\u066C/g, ',')
}

/** "150,000", "1.5k", "2m" as numbers; null when the text is not one. */
export function readNumber(raw: string): number | null {
  const text = toAsciiDigits(raw.trim()).toLowerCase().replace(/\s+/g, '')
  const match = /^([-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+)([km])?$/.exec(text)
  if (!match) return null
  const value = Number(match[1].replace(/,/g, ''))
  if (!Number.isFinite(value)) return null
  const factor = match[2] === 'k' ? 1_000 : match[2] === 'm' ? 1_000_000 : 1
  return value * factor
}

/** "AED 150,000", "$12.50", "150k AED" as an amount and its currency. */
export function readMoney(raw: string): { amount: number; currency: string | null } | null {
  const text = toAsciiDigits(raw.trim())
  const match = MONEY_RE.exec(text)
  if (!match) return null
  const amount = readNumber(match[2] + (match[3] ?? ''))
  if (amount === null) return null
  const sign = (match[1] ?? match[4] ?? '').toLowerCase()
  return { amount, currency: sign ? (CURRENCY_SIGNS[sign] ?? null) : null }
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', 'نعم', 'صح', 'available'])
const FALSE_WORDS = new Set(['false', 'no', 'n', 'لا', 'خطأ', 'unavailable'])

function readBoolean(raw: string): boolean | null {
  const text = raw.trim().toLowerCase()
  if (TRUE_WORDS.has(text)) return true
  if (FALSE_WORDS.has(text)) return false
  return null
}

/** ISO dates (2026-03-01, with or without a time) and day/month/year. */
function readDate(raw: string): string | null {
  const text = toAsciiDigits(raw.trim())
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(text)
  let year: number
  let month: number
  let day: number
  if (match) {
    ;[year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  } else {
    match = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(text)
    if (!match) return null
    ;[day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])]
  }
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1) return null
  return date.toISOString().slice(0, 10)
}

const URL_RE = /^https?:\/\/[^\s]+$/i
const IMAGE_RE = /\.(?:png|jpe?g|gif|webp|avif|svg)(?:[?#].*)?$/i
const PHONE_RE = /^\+?[\d\s().-]{7,20}$/

/**
 * A written value as its column stores it. Empty is null; anything the type
 * cannot read is a ValueError naming what was expected.
 */
export function coerceValue(column: Pick<DatasetColumn, 'type'>, value: unknown): TypedValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' && value.trim() === '') return null
  const raw = value instanceof Date ? value.toISOString() : String(value)
  switch (column.type) {
    case 'integer': {
      const number = typeof value === 'number' ? value : readNumber(raw)
      if (number === null || !Number.isInteger(number)) throw new ValueError('a whole number')
      if (!Number.isSafeInteger(number)) throw new ValueError('a smaller whole number')
      return number
    }
    case 'number': {
      const number = typeof value === 'number' ? value : readNumber(raw)
      if (number === null || !Number.isFinite(number)) throw new ValueError('a number')
      return number
    }
    case 'money': {
      const money = typeof value === 'number' ? { amount: value } : readMoney(raw)
      if (!money || !Number.isFinite(money.amount)) throw new ValueError('an amount')
      return Math.round(money.amount * 100) / 100
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value
      const flag = readBoolean(raw)
      if (flag === null) throw new ValueError('yes or no')
      return flag
    }
    case 'date': {
      const date = readDate(raw)
      if (!date) throw new ValueError('a date (2026-03-01 or 01/03/2026)')
      return date
    }
    case 'url':
    case 'image_url': {
      const text = raw.trim()
      if (!URL_RE.test(text)) throw new ValueError('an http(s) address')
      return text
    }
    case 'phone': {
      const text = toAsciiDigits(raw.trim())
      if (!PHONE_RE.test(text)) throw new ValueError('a phone number')
      return text
    }
    default:
      return raw.trim().slice(0, 10_000)
  }
}

/** How a typed value reads in a page, a chip or a list message. */
export function displayValue(column: DatasetColumn, value: TypedValue): string {
  if (value === null || value === undefined) return ''
  if (column.type === 'money') {
    const amount = Number(value).toLocaleString('en-US', { maximumFractionDigits: 2 })
    return column.currency ? `${column.currency} ${amount}` : amount
  }
  if (column.type === 'number' || column.type === 'integer') {
    return Number(value).toLocaleString('en-US', { maximumFractionDigits: 4 })
  }
  if (column.type === 'boolean') return value ? 'yes' : 'no'
  return String(value)
}

const MONEY_NAMES = /price|cost|rent|amount|fee|salary|budget|سعر|ايجار|إيجار|ثمن/i
const IMAGE_NAMES = /image|photo|picture|img|thumbnail|صورة|صوره/i
const PHONE_NAMES = /phone|mobile|tel|whatsapp|هاتف|جوال|موبايل/i

/**
 * The type most of a column's first values fit, and the currency of a money
 * column. Every non-empty sample must fit a type for it to be chosen; text
 * is the fallback. A text column with few distinct short values is a choice.
 */
export function inferColumn(
  name: string,
  samples: unknown[]
): Pick<DatasetColumn, 'type' | 'currency' | 'choices'> {
  const values = samples
    .filter((value) => value !== null && value !== undefined && String(value).trim() !== '')
    .map((value) => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value)))
  const none = { currency: null, choices: [] as string[] }
  if (values.length === 0) return { type: 'text', ...none }
  // A type fits when nearly all values read as it: a stray "two" among
  // bedroom counts is a row error at import, not a reason to store text.
  const all = (test: (value: string) => boolean) =>
    values.filter(test).length >= Math.max(values.length - 1, Math.ceil(values.length * 0.95))

  if (all((v) => readBoolean(v) !== null) && !all((v) => readNumber(v) !== null)) {
    return { type: 'boolean', ...none }
  }
  if (
    all((v) => PHONE_RE.test(v) && /^\+|^0\d{6,}/.test(v.trim())) ||
    (PHONE_NAMES.test(name) && all((v) => PHONE_RE.test(v)))
  ) {
    return { type: 'phone', ...none }
  }
  if (all((v) => readNumber(v) !== null)) {
    const numbers = values.map(readNumber).filter((n): n is number => n !== null)
    if (MONEY_NAMES.test(name)) {
      const currency = /aed|dhs|درهم/i.test(name) ? 'AED' : /usd|\$/i.test(name) ? 'USD' : null
      return { type: 'money', currency, choices: [] }
    }
    return { type: numbers.every(Number.isInteger) ? 'integer' : 'number', ...none }
  }
  if (all((v) => readMoney(v) !== null)) {
    const currency = values.map(readMoney).find((m) => m?.currency)?.currency
    if (currency) return { type: 'money', currency, choices: [] }
  }
  if (all((v) => readDate(v) !== null)) return { type: 'date', ...none }
  if (all((v) => URL_RE.test(v.trim()))) {
    const image = IMAGE_NAMES.test(name) || all((v) => IMAGE_RE.test(v.trim()))
    return { type: image ? 'image_url' : 'url', ...none }
  }
  const distinct = new Map<string, string>()
  for (const value of values) distinct.set(value.trim().toLowerCase(), value.trim())
  const longest = Math.max(...values.map((v) => v.length))
  if (
    values.length >= 4 &&
    distinct.size <= 50 &&
    distinct.size <= Math.ceil(values.length / 2) &&
    longest <= 40
  ) {
    return { type: 'choice', currency: null, choices: [...distinct.values()].sort() }
  }
  return { type: 'text', ...none }
}

/** A column's flags by default: everything filterable, words searchable, all shown. */
export function defaultColumn(
  name: string,
  slot: string,
  inferred: Pick<DatasetColumn, 'type' | 'currency' | 'choices'>
): DatasetColumn {
  return {
    name,
    slot,
    type: inferred.type,
    currency: inferred.currency,
    choices: inferred.choices,
    filterable: inferred.type !== 'image_url' && inferred.type !== 'url',
    searchable: inferred.type === 'text' || inferred.type === 'choice',
    shown: true,
    synonyms: [],
  }
}
