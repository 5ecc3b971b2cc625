/*
| The offline quote extractor: reads an insurer's quote from its PDF text
| (per page) without a model. It knows the labels brokers meet in English
| and Arabic ("Annual premium", "Sum insured", "القسط السنوي", "مبلغ
| التحمل"...) and three layouts: "Label: value" lines, two-column tables
| (label, then value on the same line), and a one-row table under a header
| row of labels. Every field says the page it came from; a field it cannot
| read is null with `missing: true`, never guessed.
*/

export type QuoteFieldName =
  | 'insurer'
  | 'product'
  | 'premium'
  | 'currency'
  | 'period'
  | 'coverage_limit'
  | 'deductible'
  | 'exclusions'

export interface ExtractedField<T> {
  value: T | null
  /** The page (1-based) the value was read on; null when missing. */
  page: number | null
  /** The text it was read from. */
  source: string | null
  missing: boolean
}

export interface QuoteExtraction {
  insurer: ExtractedField<string>
  product: ExtractedField<string>
  premium: ExtractedField<number>
  currency: ExtractedField<string>
  period: ExtractedField<string>
  coverage_limit: ExtractedField<number>
  deductible: ExtractedField<number>
  exclusions: ExtractedField<string[]>
}

type LabelledField = Exclude<QuoteFieldName, 'currency' | 'exclusions'> | 'currency_label'

/** Labels by field, longest first within a field so "Total premium" wins over "Premium". */
const LABELS: Record<LabelledField, string[]> = {
  insurer: [
    'insurance company',
    'insurer name',
    'insurer',
    'underwriter',
    'issued by',
    'insurance provider',
    'provider',
    'carrier',
    'شركة التأمين',
    'اسم شركة التأمين',
    'المؤمن',
    'شركة',
  ],
  product: [
    'product name',
    'product',
    'plan name',
    'plan',
    'policy type',
    'cover type',
    'type of cover',
    'scheme',
    'اسم المنتج',
    'المنتج',
    'نوع الوثيقة',
    'نوع التأمين',
    'الخطة',
    'البرنامج',
  ],
  premium: [
    'total premium payable',
    'total premium',
    'annual premium',
    'gross premium',
    'premium payable',
    'total payable',
    'premium',
    'إجمالي القسط',
    'القسط السنوي',
    'القسط الإجمالي',
    'القسط',
  ],
  period: [
    'period of insurance',
    'insurance period',
    'policy period',
    'period of cover',
    'cover period',
    'policy term',
    'period',
    'term',
    'مدة التأمين',
    'فترة التأمين',
    'مدة الوثيقة',
    'المدة',
  ],
  coverage_limit: [
    'limit of indemnity',
    'limit of liability',
    'coverage limit',
    'annual limit',
    'overall limit',
    'aggregate limit',
    'sum insured',
    'cover limit',
    'limit',
    'حد التغطية',
    'الحد الأقصى للتغطية',
    'مبلغ التأمين',
    'حد المسؤولية',
    'الحد الأقصى',
  ],
  deductible: [
    'deductible',
    'excess',
    'co-payment',
    'مبلغ التحمل',
    'نسبة التحمل',
    'التحمل',
    'الخصم',
  ],
  currency_label: ['currency', 'العملة'],
}

const EXCLUSION_HEADINGS = [
  'main exclusions',
  'key exclusions',
  'major exclusions',
  'exclusions',
  'not covered',
  'what is not covered',
  'الاستثناءات الرئيسية',
  'الاستثناءات',
  'ما لا يشمله التأمين',
  'غير مشمول',
]

/** Currency codes and the words and signs that name them. */
const CURRENCIES: Array<[RegExp, string]> = [
  [/\b(AED|USD|SAR|QAR|KWD|BHD|OMR|EUR|GBP|EGP|JOD|INR)\b/i, ''],
  [/درهم|د\.إ/, 'AED'],
  [/ريال سعودي|ر\.س/, 'SAR'],
  [/ريال قطري|ر\.ق/, 'QAR'],
  [/دينار كويتي|د\.ك/, 'KWD'],
  [/دولار|\$/, 'USD'],
  [/€|يورو/, 'EUR'],
  [/£|جنيه إسترليني/, 'GBP'],
]

const ARABIC_DIGITS = /[٠-٩]/g

/** Arabic-Indic digits as ASCII, Arabic separators as ours, spaces single. */
function normalize(text: string) {
  return text
    .replace(ARABIC_DIGITS, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/٬/g, ',')
    .replace(/٫/g, '.')
    .replace(/[\u200e\u200f\u202a-\u202e]/g, '')
    .replace(/[ \u00a0]+/g, ' ')
    .trim()
}

function fold(text: string) {
  return text.toLowerCase().replace(/[أإآ]/g, 'ا').replace(/ة/g, 'ه').replace(/ى/g, 'ي')
}

interface Line {
  page: number
  text: string
  /** Cells when the PDF kept a gap between them (tab-separated). */
  cells: string[]
}

function linesOf(pages: string[]): Line[] {
  const lines: Line[] = []
  pages.forEach((text, index) => {
    for (const raw of text.split('\n')) {
      const cells = raw
        .split(/\t| {3,}/)
        .map(normalize)
        .filter(Boolean)
      const line = normalize(raw.replace(/\t/g, ' '))
      if (line) lines.push({ page: index + 1, text: line, cells })
    }
  })
  return lines
}

/** Every label of every field, longest first, folded. */
const ALL_LABELS = (Object.entries(LABELS) as Array<[LabelledField, string[]]>)
  .flatMap(([name, labels]) => labels.map((label) => ({ field: name, label, folded: fold(label) })))
  .sort((a, b) => b.folded.length - a.folded.length)

/** The label a line starts with, and what follows it. */
function labelAt(text: string) {
  const folded = fold(text)
  for (const entry of ALL_LABELS) {
    if (!folded.startsWith(entry.folded)) continue
    const rest = text.slice(entry.label.length)
    // A whole word: the label ends at a separator, not inside a word.
    if (rest && /^[\p{L}\p{N}]/u.test(rest)) continue
    const value = rest.replace(/^\s*[:：\-–—]?\s*/, '').trim()
    return { field: entry.field, label: entry.label, value, colon: /^\s*[:：]/.test(rest) }
  }
  return null
}

/** A header row made only of labels (a one-row table), as its fields in order. */
function headerRow(line: Line): LabelledField[] | null {
  const fields: LabelledField[] = []
  let rest = line.text
  while (rest) {
    const found = labelAt(rest)
    if (!found) return null
    fields.push(found.field)
    rest = rest.slice(found.label.length).trim()
  }
  return fields.length >= 2 ? fields : null
}

/** An amount: "AED 7,850.00", "2,000,000 درهم", "USD 1.5m". */
export function parseAmount(text: string): { amount: number; currency: string | null } | null {
  const normalized = normalize(text)
  const match = normalized.match(
    /(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(m|mn|million|k|مليون|ألف)?/i
  )
  if (!match) return null
  let amount = Number(`${match[1].replace(/,/g, '')}${match[2] ? `.${match[2]}` : ''}`)
  const scale = match[3]?.toLowerCase()
  if (scale && ['m', 'mn', 'million', 'مليون'].includes(scale)) amount *= 1_000_000
  if (scale && ['k', 'ألف'].includes(scale)) amount *= 1000
  return { amount, currency: currencyIn(normalized) }
}

function currencyIn(text: string) {
  for (const [pattern, code] of CURRENCIES) {
    const match = text.match(pattern)
    if (match) return code || match[1].toUpperCase()
  }
  return null
}

const MONEY =
  /(?:(?:AED|USD|SAR|QAR|KWD|BHD|OMR|EUR|GBP|EGP|JOD|INR|\$|€|£)\s*\d[\d,]*(?:\.\d+)?|\d[\d,]*(?:\.\d+)?\s*(?:AED|USD|SAR|QAR|KWD|BHD|OMR|EUR|GBP|درهم|ريال|دولار))/gi

/** Words that end an insurer's name, to split "Noor Takaful Family Health Gold". */
const INSURER_END =
  /^(.*?\b(?:insurance(?: company)?(?: pjsc| psc| co\.?| ltd\.?)?|takaful|assurance|re|co\.|company|pjsc|psc|ltd\.?|group|للتأمين|تكافل|للتكافل))\s+(.+)$/i

function field<T>(value: T | null, line: Line | null, source?: string): ExtractedField<T> {
  if (value === null || value === undefined || (typeof value === 'string' && !value.trim())) {
    return { value: null, page: null, source: null, missing: true }
  }
  return { value, page: line?.page ?? null, source: source ?? line?.text ?? null, missing: false }
}

/** Reads one quote's fields from its pages' text. */
export function extractQuote(pages: string[]): QuoteExtraction {
  const lines = linesOf(pages)
  const found = new Map<LabelledField, { value: string; line: Line }>()
  const keep = (name: LabelledField, value: string, line: Line) => {
    if (!found.has(name) && value.trim()) found.set(name, { value: value.trim(), line })
  }

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    // A one-row table: a header of labels, the values on the next line.
    const header = headerRow(line)
    if (header && lines[i + 1] && !labelAt(lines[i + 1].text)) {
      readRow(header, lines[i + 1], keep)
      i++
      continue
    }
    // Cells kept apart by the PDF: label cell, value cell.
    if (line.cells.length >= 2) {
      const label = labelAt(line.cells[0])
      if (label && !label.value) {
        keep(label.field, line.cells.slice(1).join(' '), line)
        continue
      }
    }
    const label = labelAt(line.text)
    if (!label) continue
    if (label.value) keep(label.field, label.value, line)
    else if (label.colon && lines[i + 1] && !labelAt(lines[i + 1].text)) {
      // "Insurer:" with its value on the next line.
      keep(label.field, lines[i + 1].text, lines[i + 1])
    }
  }

  const text = (name: LabelledField) => {
    const hit = found.get(name)
    return hit ? field(cleanText(hit.value), hit.line) : field<string>(null, null)
  }
  const amount = (name: LabelledField) => {
    const hit = found.get(name)
    const parsed = hit ? parseAmount(hit.value) : null
    return {
      field: parsed ? field(parsed.amount, hit!.line) : field<number>(null, null),
      currency: parsed?.currency ?? null,
      line: hit?.line ?? null,
    }
  }
  const premium = amount('premium')
  const limit = amount('coverage_limit')
  const deductible = amount('deductible')
  const labelledCurrency = found.get('currency_label')
  const currency = premium.currency
    ? field(premium.currency, premium.line)
    : labelledCurrency && currencyIn(labelledCurrency.value)
      ? field(currencyIn(labelledCurrency.value), labelledCurrency.line)
      : limit.currency
        ? field(limit.currency, limit.line)
        : field<string>(null, null)

  return {
    insurer: text('insurer'),
    product: text('product'),
    premium: premium.field,
    currency,
    period: text('period'),
    coverage_limit: limit.field,
    deductible: deductible.field,
    exclusions: exclusionsOf(lines),
  }
}

function cleanText(value: string) {
  return value
    .replace(/^[:\-–—\s]+/, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Splits a one-row table's values among its header's fields. */
function readRow(
  header: LabelledField[],
  row: Line,
  keep: (name: LabelledField, value: string, line: Line) => void
) {
  if (row.cells.length === header.length) {
    header.forEach((name, i) => keep(name, row.cells[i], row))
    return
  }
  // Joined by single spaces: money columns are found by their shape, and
  // the text between them is shared by the text columns in order.
  const money = [...row.text.matchAll(MONEY)]
  const moneyFields = header.filter((name) =>
    ['premium', 'coverage_limit', 'deductible'].includes(name)
  )
  if (money.length < moneyFields.length) return
  const segments: string[] = []
  let cursor = 0
  for (const match of money) {
    segments.push(row.text.slice(cursor, match.index).trim())
    segments.push(match[0])
    cursor = match.index! + match[0].length
  }
  segments.push(row.text.slice(cursor).trim())
  let moneyIndex = 0
  const textRuns: string[][] = []
  let run: string[] = []
  for (const segment of segments) {
    if (MONEY.test(segment)) {
      MONEY.lastIndex = 0
      textRuns.push(run)
      run = []
      continue
    }
    MONEY.lastIndex = 0
    if (segment) run.push(segment)
  }
  textRuns.push(run)
  // Walk the header: consecutive text columns share the text run before the next money column.
  let textRunIndex = 0
  let pending: LabelledField[] = []
  const flushText = () => {
    const words = (textRuns[textRunIndex] ?? []).join(' ').trim()
    if (pending.length === 1) keep(pending[0], words, row)
    else if (pending.length === 2 && pending[0] === 'insurer') {
      const split = words.match(INSURER_END)
      if (split) {
        keep(pending[0], split[1], row)
        keep(pending[1], split[2], row)
      }
    }
    pending = []
  }
  for (const name of header) {
    if (['premium', 'coverage_limit', 'deductible'].includes(name)) {
      flushText()
      textRunIndex++
      keep(name, money[moneyIndex++]?.[0] ?? '', row)
    } else {
      pending.push(name)
    }
  }
  flushText()
}

/** The listed exclusions: bullets under an exclusions heading, or a "; "-separated line. */
function exclusionsOf(lines: Line[]): ExtractedField<string[]> {
  for (let i = 0; i < lines.length; i++) {
    const folded = fold(lines[i].text)
    const heading = EXCLUSION_HEADINGS.map(fold).find((h) => folded.startsWith(h))
    if (!heading) continue
    const rest = lines[i].text
      .slice(heading.length)
      .replace(/^\s*[:：\-–—]?\s*/, '')
      .trim()
    if (rest) {
      const items = rest
        .split(/\s*[;؛]\s*|\s*,\s+(?=\p{L})/u)
        .map((item) => item.replace(/[.]$/, '').trim())
        .filter(Boolean)
      if (items.length) return field(items, lines[i])
    }
    const items: string[] = []
    for (let j = i + 1; j < lines.length && lines[j].page === lines[i].page; j++) {
      const bullet = lines[j].text.match(/^(?:[-•●▪◦*–]|\d+[.)])\s*(.+)$/)
      if (!bullet) break
      items.push(bullet[1].replace(/[.]$/, '').trim())
    }
    if (items.length) return field(items, lines[i], items.join('; '))
  }
  return field<string[]>(null, null)
}
