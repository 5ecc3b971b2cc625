import { foldText, isStopWord } from '#modules/brain/index'
import { NUMERIC_TYPES, readNumber, type DatasetColumn, type TypedValue } from './column_types.js'
import type { Filter, FilterOp } from './row_table.js'

/*
| The offline query parser: "2br sea view JLT under 150k" becomes filters
| (bedrooms = 2, community = JLT, features contain "sea view", price ≤
| 150,000) read from the dataset's own schema — column names and their
| synonyms, the values of choice columns, numbers with units and the words
| for comparisons, in English and Arabic. What is not a filter is left for
| full-text and vector ranking. A filter that cannot apply (a comparison on
| a text column) is dropped and said.
*/

export interface DroppedFilter {
  /** The words of the question it came from. */
  text: string
  reason: 'not_numeric' | 'no_column' | 'unknown_column' | 'invalid_value'
  column: string | null
}

export interface ParsedQuery {
  filters: Filter[]
  /** The question less the words that became filters, for ranking. */
  rest: string
  dropped: DroppedFilter[]
}

interface Span {
  start: number
  end: number
}

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  single: 1,
  double: 2,
  واحد: 1,
  واحده: 1,
  اثنين: 2,
  اثنان: 2,
  ثلاث: 3,
  ثلاثه: 3,
  اربع: 4,
  اربعه: 4,
  خمس: 5,
  خمسه: 5,
  ست: 6,
  سته: 6,
}

/** Arabic dual forms that carry their number: غرفتين is two rooms. */
const ARABIC_DUALS: Array<[RegExp, number]> = [[/^(?:ال)?(\S+?)(?:تين|تان|ين|ان)$/, 2]]

/** Units a number may carry; money ones imply the money column. */
const MULTIPLIERS: Record<string, number> = {
  k: 1_000,
  K: 1_000,
  thousand: 1_000,
  الف: 1_000,
  آلاف: 1_000,
  الاف: 1_000,
  m: 1_000_000,
  mn: 1_000_000,
  million: 1_000_000,
  مليون: 1_000_000,
}
const MONEY_WORDS = [
  'aed',
  'dhs',
  'dh',
  'dirham',
  'dirhams',
  'درهم',
  'usd',
  '$',
  'dollars',
  'sar',
  'ريال',
  'eur',
  '€',
  'gbp',
  '£',
]

const LESS_WORDS = [
  'under',
  'below',
  'less than',
  'lower than',
  'cheaper than',
  'up to',
  'upto',
  'max',
  'maximum',
  'at most',
  'no more than',
  'within',
  'budget',
  'اقل من',
  'تحت',
  'دون',
  'حتي',
  'بحد اقصي',
  'ميزانيه',
  '<=',
  '<',
]
const MORE_WORDS = [
  'over',
  'above',
  'more than',
  'greater than',
  'at least',
  'min',
  'minimum',
  'from',
  'starting',
  'plus',
  'اكثر من',
  'فوق',
  'علي الاقل',
  'بحد ادني',
  'من',
  '>=',
  '>',
]
const NEGATIONS = ['not', 'no', 'non', 'without', 'غير', 'بدون', 'ليس']

function escapeRe(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Folded and with Arabic's attached article and conjunctions loosened, for matching words. */
function fold(text: string) {
  return foldText(text)
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * A phrase as a pattern over folded text: whole words, a trailing plural
 * "s" optional for English, Arabic's attached ال / و / ب allowed in front.
 */
function phrasePattern(phrase: string) {
  const words = fold(phrase)
    .split(' ')
    .filter(Boolean)
    .map((word) => {
      const arabic = /[\u0621-\u064A]/.test(word)
      if (arabic) return `(?:و|ب|ل)?(?:ال)?${escapeRe(word.replace(/^ال/, ''))}`
      const base = word.length > 3 ? word.replace(/(?<=ch|sh|x|ss)es$|s$/, '') : word
      return `${escapeRe(base)}(?:s|es)?`
    })
  if (words.length === 0) return null
  return `(?<![\\p{L}\\p{N}])${words.join('[\\s-]*')}(?![\\p{L}\\p{N}])`
}

interface Term {
  column: DatasetColumn
  /** The choice value a match stands for; undefined for the column's own names. */
  value?: string
  pattern: RegExp
  length: number
}

/** Column names and synonyms, and choice values with their aliases (synonym "value=alias"). */
function termsOf(columns: DatasetColumn[]) {
  const names: Term[] = []
  const values: Term[] = []
  for (const column of columns) {
    if (!column.filterable) continue
    const aliases = new Map<string, string[]>()
    const spoken = [column.name, column.name.replace(/_/g, ' ')]
    for (const synonym of column.synonyms) {
      const at = synonym.indexOf('=')
      if (at > 0) {
        const value = synonym.slice(0, at).trim()
        aliases.set(value.toLowerCase(), [
          ...(aliases.get(value.toLowerCase()) ?? []),
          synonym.slice(at + 1).trim(),
        ])
      } else spoken.push(synonym)
    }
    for (const word of new Set(spoken)) {
      const pattern = phrasePattern(word)
      if (pattern) names.push({ column, pattern: new RegExp(pattern, 'gu'), length: word.length })
    }
    if (column.type === 'choice' || column.type === 'text') {
      for (const value of column.choices) {
        for (const spelling of [value, ...(aliases.get(value.toLowerCase()) ?? [])]) {
          if (fold(spelling).length < 2 || /^[\d.,\s]+$/.test(spelling)) continue
          const pattern = phrasePattern(spelling)
          if (pattern) {
            values.push({
              column,
              value,
              pattern: new RegExp(pattern, 'gu'),
              length: spelling.length,
            })
          }
        }
      }
    }
  }
  // Longest first: "Dubai Marina" before "Marina".
  values.sort((a, b) => b.length - a.length)
  names.sort((a, b) => b.length - a.length)
  return { names, values }
}

function overlaps(spans: Span[], start: number, end: number) {
  return spans.some((span) => start < span.end && end > span.start)
}

const NUMBER_RE =
  /(?<![\p{L}\p{N}.])(aed|dhs|usd|sar|\$|€|£)?\s?(\d+(?:\.\d+)?)(?:\s?(k|m|mn|thousand|million|الف|آلاف|الاف|مليون)(?![\p{L}]))?(?![\p{N}])/giu

interface NumberMention extends Span {
  value: number
  money: boolean
  /** The unit word or column word right after it, if any (2br, 3 bedrooms, 1200 sqft). */
  unitColumn: DatasetColumn | null
  unitEnd: number
  /** "4+ bedrooms": a plus between the number and its unit means at least. */
  plus?: boolean
}

function compareWordBefore(text: string, at: number, words: string[]) {
  const before = text.slice(Math.max(0, at - 24), at).replace(/\s+$/, '')
  for (const word of [...words].sort((a, b) => b.length - a.length)) {
    if (
      before.endsWith(word) &&
      (before.length === word.length || /[\s\d]/.test(before[before.length - word.length - 1]))
    ) {
      return {
        word,
        start: at - (text.slice(0, at).length - text.slice(0, at).trimEnd().length) - word.length,
      }
    }
  }
  return null
}

/**
 * Parses a question against a dataset's columns.
 */
export function parseQuery(query: string, columns: DatasetColumn[]): ParsedQuery {
  const text = fold(String(query ?? '').slice(0, 500))
  const used: Span[] = []
  const filters: Filter[] = []
  const dropped: DroppedFilter[] = []
  const { names, values } = termsOf(columns)
  const numeric = columns.filter((c) => c.filterable && NUMERIC_TYPES.includes(c.type))
  const money = numeric.filter((c) => c.type === 'money')

  // 1. Choice and list values: "JLT", "villa", "sea view".
  const chosen = new Map<string, { column: DatasetColumn; values: string[]; negated: boolean }>()
  for (const term of values) {
    for (const match of text.matchAll(term.pattern)) {
      const start = match.index!
      const end = start + match[0].length
      if (overlaps(used, start, end)) continue
      used.push({ start, end })
      const negation = negationBefore(text, start)
      if (negation) used.push(negation)
      const key = `${term.column.name}\u0000${negation ? 'not' : ''}`
      const entry = chosen.get(key) ?? { column: term.column, values: [], negated: !!negation }
      if (!entry.values.includes(term.value!)) entry.values.push(term.value!)
      chosen.set(key, entry)
    }
  }
  for (const { column, values: picked, negated } of chosen.values()) {
    if (column.type === 'text') {
      for (const value of picked) {
        filters.push({ column: column.name, op: negated ? 'neq' : 'contains', value })
      }
    } else if (negated) {
      for (const value of picked) filters.push({ column: column.name, op: 'neq', value })
    } else {
      filters.push(
        picked.length === 1
          ? { column: column.name, op: 'eq', value: picked[0] }
          : { column: column.name, op: 'in', value: picked }
      )
    }
  }

  // 2. Numbers: with a unit or column word after them, money signs, multipliers.
  const mentions: NumberMention[] = []
  for (const match of text.matchAll(NUMBER_RE)) {
    const start = match.index!
    const end = start + match[0].trimEnd().length
    if (overlaps(used, start, end)) continue
    let value = Number(match[2])
    const multiplier = match[3] ? MULTIPLIERS[match[3].toLowerCase()] : 1
    value *= multiplier ?? 1
    let isMoney = Boolean(match[1]) || (multiplier ?? 1) >= 1000
    // What follows: a money word, or a column's word ("2 br", "3 bedrooms", "1200 sqft").
    const after = text.slice(end)
    let unitColumn: DatasetColumn | null = null
    let unitEnd = end
    const moneyAfter = new RegExp(
      `^\\s?(?:${MONEY_WORDS.map(escapeRe).join('|')})(?![\\p{L}])`,
      'u'
    ).exec(after)
    if (moneyAfter) {
      isMoney = true
      unitEnd = end + moneyAfter[0].length
    } else if (!isMoney) {
      const plus = /^\s?\+/.exec(after)
      const unitText = plus ? after.slice(plus[0].length) : after
      const unitAt = end + (plus ? plus[0].length : 0)
      for (const term of names) {
        if (!NUMERIC_TYPES.includes(term.column.type)) continue
        const sticky = new RegExp(`^\\s?(?:${term.pattern.source})`, 'u').exec(unitText)
        if (sticky) {
          unitColumn = term.column
          unitEnd = unitAt + sticky[0].length
          break
        }
      }
      if (unitColumn && plus) {
        mentions.push({ start, end, value, money: false, unitColumn, unitEnd, plus: true })
        continue
      }
    }
    mentions.push({ start, end, value, money: isMoney, unitColumn, unitEnd })
  }
  // Number words before a column word: "two bedrooms", "ثلاث غرف".
  for (const [word, value] of Object.entries(NUMBER_WORDS)) {
    const pattern = new RegExp(`(?<![\\p{L}])${escapeRe(word)}(?![\\p{L}])`, 'gu')
    for (const match of text.matchAll(pattern)) {
      const start = match.index!
      const end = start + match[0].length
      if (overlaps(used, start, end)) continue
      const after = text.slice(end)
      let found = false
      for (const term of names) {
        const sticky = new RegExp(`^\\s?(?:${term.pattern.source})`, 'u').exec(after)
        if (sticky && NUMERIC_TYPES.includes(term.column.type)) {
          mentions.push({
            start,
            end,
            value,
            money: false,
            unitColumn: term.column,
            unitEnd: end + sticky[0].length,
          })
          found = true
          break
        }
      }
      // Arabic puts one and two after the noun: "غرفة واحدة".
      if (found || !/[\u0621-\u064A]/.test(word)) continue
      const before = text.slice(0, start)
      for (const term of names) {
        if (!NUMERIC_TYPES.includes(term.column.type)) continue
        const sticky = new RegExp(`(?:${term.pattern.source})\\s?$`, 'u').exec(before)
        if (sticky && !overlaps(used, sticky.index, start)) {
          mentions.push({
            start: sticky.index,
            end,
            value,
            money: false,
            unitColumn: term.column,
            unitEnd: end,
          })
          break
        }
      }
    }
  }
  // Arabic duals: "غرفتين" is two of a column called غرف / غرفه.
  for (const word of text.split(/\s+/)) {
    for (const [pattern, value] of ARABIC_DUALS) {
      const dual = pattern.exec(word)
      if (!dual) continue
      const stem = dual[1]
      const term = names.find(
        (t) =>
          NUMERIC_TYPES.includes(t.column.type) &&
          (new RegExp(`^(?:${t.pattern.source})$`, 'u').test(stem) ||
            new RegExp(`^(?:${t.pattern.source})$`, 'u').test(`${stem}ه`))
      )
      if (!term) continue
      const start = text.indexOf(word)
      if (overlaps(used, start, start + word.length)) continue
      mentions.push({
        start,
        end: start + word.length,
        value,
        money: false,
        unitColumn: term.column,
        unitEnd: start + word.length,
      })
    }
  }
  mentions.sort((a, b) => a.start - b.start)

  const consumed = new Set<NumberMention>()
  // Lists of one column's values: "2 or 3 bedrooms", "1, 2 or 3 br", "غرفتين او ثلاث غرف".
  for (let i = 0; i < mentions.length; i++) {
    const chain = [mentions[i]]
    while (chain.length + i < mentions.length) {
      const next = mentions[i + chain.length]
      const gap = text.slice(chain[chain.length - 1].unitEnd, next.start)
      if (!/^\s*(?:,|or|او|,\s*or)\s*$/u.test(gap)) break
      chain.push(next)
    }
    const units = new Set(chain.map((m) => m.unitColumn).filter(Boolean))
    const [unit] = units
    if (
      chain.length < 2 ||
      units.size !== 1 ||
      chain.some((m) => m.money || m.plus) ||
      compareWordBefore(text, chain[0].start, [...LESS_WORDS, ...MORE_WORDS, 'between', 'بين'])
    ) {
      continue
    }
    const last = chain[chain.length - 1]
    used.push({ start: chain[0].start, end: last.unitEnd })
    for (const mention of chain) consumed.add(mention)
    filters.push({
      column: unit!.name,
      op: 'in',
      value: [...new Set(chain.map((m) => m.value))].sort((a, b) => a - b),
    })
    i += chain.length - 1
  }

  // Ranges: "between 100k and 200k", "100k-200k", "من 100 الف الى 200 الف".
  for (const mention of consumed) mentions.splice(mentions.indexOf(mention), 1)
  for (let i = 0; i + 1 < mentions.length; i++) {
    const low = mentions[i]
    const high = mentions[i + 1]
    const gap = text.slice(low.unitEnd, high.start)
    if (!/^\s*(?:-|to|and|و|الي|لي|حتي)\s*$/.test(gap)) continue
    const lead = compareWordBefore(text, low.start, ['between', 'from', 'بين', 'من'])
    if (!lead && gap.trim() !== '-') continue
    const unit = high.unitColumn ?? low.unitColumn
    const isMoney = low.money || high.money
    const lowValue =
      isMoney && !low.money && high.value >= 1000 && low.value < 1000
        ? low.value * (high.value >= 1_000_000 ? 1_000_000 : 1_000)
        : low.value
    const start = lead ? lead.start : low.start
    const column = pickColumn(text, start, unit, isMoney, numeric, money, names, used)
    used.push({ start, end: high.unitEnd })
    consumed.add(low).add(high)
    if (!column.ok) {
      dropped.push({
        text: text.slice(start, high.unitEnd).trim(),
        reason: column.reason,
        column: column.name,
      })
      continue
    }
    filters.push({
      column: column.column.name,
      op: 'between',
      value: [Math.min(lowValue, high.value), Math.max(lowValue, high.value)],
    })
  }

  for (const mention of mentions) {
    if (consumed.has(mention) || overlaps(used, mention.start, mention.unitEnd)) continue
    const less = compareWordBefore(text, mention.start, LESS_WORDS)
    const more = less ? null : compareWordBefore(text, mention.start, MORE_WORDS)
    const plusAfter =
      /^\s?(?:\+|plus|or more|and above|and up|او اكثر|وفوق|فما فوق|علي الاقل)/u.exec(
        text.slice(mention.unitEnd)
      )
    const lessAfter = /^\s?(?:or less|and below|max|او اقل)/u.exec(text.slice(mention.unitEnd))
    let op: FilterOp = 'eq'
    let start = mention.start
    let end = mention.unitEnd
    if (less) {
      op = 'lte'
      start = less.start
    } else if (more && !(more.word === 'من' && !mention.money && !mention.unitColumn)) {
      op = 'gte'
      start = more.start
    } else if (mention.plus || plusAfter) {
      op = 'gte'
      if (plusAfter) end += plusAfter[0].length
    } else if (lessAfter) {
      op = 'lte'
      end += lessAfter[0].length
    }
    // A bare number with no unit, no comparison and no money sign says nothing for sure.
    if (op === 'eq' && !mention.unitColumn && !mention.money) continue
    const column = pickColumn(
      text,
      start,
      mention.unitColumn,
      mention.money,
      numeric,
      money,
      names,
      used
    )
    used.push({ start, end })
    if (!column.ok) {
      dropped.push({
        text: text.slice(start, end).trim(),
        reason: column.reason,
        column: column.name,
      })
      continue
    }
    filters.push({ column: column.column.name, op, value: mention.value })
  }

  // 3. Yes/no columns named in the question: "available", "furnished", "not furnished".
  for (const term of names) {
    if (term.column.type !== 'boolean') continue
    for (const match of text.matchAll(term.pattern)) {
      const start = match.index!
      const end = start + match[0].length
      if (overlaps(used, start, end)) continue
      const negation = negationBefore(text, start)
      used.push({ start: negation?.start ?? start, end })
      if (!filters.some((f) => f.column === term.column.name)) {
        filters.push({ column: term.column.name, op: 'eq', value: !negation })
      }
    }
  }

  // Column words used only to point at a column ("price under 150k") leave the rest too.
  const rest = restOf(text, used)
  return { filters: mergeFilters(filters), rest, dropped }
}

function negationBefore(text: string, at: number): Span | null {
  const before = text.slice(Math.max(0, at - 12), at)
  for (const word of NEGATIONS) {
    const match = new RegExp(`(?:^|\\s)(${escapeRe(word)})\\s*$`, 'u').exec(before)
    if (match) {
      const start = at - before.length + match.index + match[0].indexOf(match[1])
      return { start, end: at }
    }
  }
  return null
}

type ColumnPick =
  | { ok: true; column: DatasetColumn }
  | { ok: false; reason: DroppedFilter['reason']; name: string | null }

/**
 * The column a number belongs to: the one named right after it (2 br) or
 * just before the comparison (price under 150k), else the money column for
 * an amount, else the only numeric column. A column that is named but not a
 * number is an impossible filter.
 */
function pickColumn(
  text: string,
  start: number,
  unit: DatasetColumn | null,
  isMoney: boolean,
  numeric: DatasetColumn[],
  money: DatasetColumn[],
  names: Term[],
  used: Span[]
): ColumnPick {
  let named = unit
  if (!named) {
    const before = text.slice(Math.max(0, start - 30), start)
    for (const term of names) {
      const pattern = new RegExp(`(?:${term.pattern.source})\\s*(?:is|of|=|:)?\\s*$`, 'u')
      const match = pattern.exec(before)
      const at = start - before.length + (match?.index ?? 0)
      if (match && !overlaps(used, at, at + match[0].trimEnd().length)) {
        named = term.column
        used.push({ start: at, end: start })
        break
      }
    }
  }
  if (named) {
    // "3 bedrooms over 200k": an amount goes to the money column, not the one named before.
    if (isMoney && named.type !== 'money' && NUMERIC_TYPES.includes(named.type) && money.length)
      return { ok: true, column: money[0] }
    if (NUMERIC_TYPES.includes(named.type)) return { ok: true, column: named }
    return { ok: false, reason: 'not_numeric', name: named.name }
  }
  if (isMoney && money.length >= 1) return { ok: true, column: money[0] }
  if (isMoney) {
    const priced = numeric.find((c) => /price|cost|rent|amount|سعر/i.test(c.name))
    if (priced) return { ok: true, column: priced }
    return { ok: false, reason: 'no_column', name: null }
  }
  if (numeric.length === 1) return { ok: true, column: numeric[0] }
  if (money.length === 1 && numeric.length > 1) return { ok: true, column: money[0] }
  return { ok: false, reason: numeric.length ? 'unknown_column' : 'no_column', name: null }
}

/** "under 200k" and "over 100k" on one column make one range. */
function mergeFilters(filters: Filter[]) {
  const out: Filter[] = []
  for (const filter of filters) {
    const twin = out.find(
      (f) =>
        f.column === filter.column &&
        ((f.op === 'gte' && filter.op === 'lte') || (f.op === 'lte' && filter.op === 'gte'))
    )
    if (twin) {
      const low = twin.op === 'gte' ? twin.value : filter.value
      const high = twin.op === 'lte' ? twin.value : filter.value
      twin.op = 'between'
      twin.value = [low as TypedValue, high as TypedValue]
      continue
    }
    if (
      out.some(
        (f) => f.column === filter.column && f.op === filter.op && same(f.value, filter.value)
      )
    ) {
      continue
    }
    out.push(filter)
  }
  return out
}

function same(a: unknown, b: unknown) {
  return JSON.stringify(a) === JSON.stringify(b)
}

const FILLER = new Set([
  'show',
  'find',
  'me',
  'any',
  'with',
  'in',
  'for',
  'and',
  'or',
  'a',
  'an',
  'the',
  'i',
  'need',
  'want',
  'looking',
  'search',
  'list',
  'aed',
  'dhs',
  'بـ',
  'في',
  'مع',
  'عن',
  'ابحث',
  'اريد',
  'ابي',
  'ابغي',
  'درهم',
])

function restOf(text: string, used: Span[]) {
  let rest = ''
  let at = 0
  for (const span of [...used].sort((a, b) => a.start - b.start)) {
    if (span.start > at) rest += text.slice(at, span.start)
    rest += ' '
    at = Math.max(at, span.end)
  }
  rest += text.slice(at)
  return rest
    .split(/[\s,.;!?،؟]+/)
    .filter((word) => word && !FILLER.has(word) && !isStopWord(word) && !/^[-+<>=]+$/.test(word))
    .join(' ')
}

/** A filter's value as the chips and the API show it, and as validated from outside. */
export function checkFilter(
  columns: DatasetColumn[],
  filter: { column?: unknown; op?: unknown; value?: unknown }
): Filter | DroppedFilter {
  const column = columns.find((c) => c.name === filter.column)
  const text = `${String(filter.column)} ${String(filter.op)} ${JSON.stringify(filter.value)}`
  if (!column) return { text, reason: 'unknown_column', column: null }
  const op = String(filter.op) as FilterOp
  const numericOps: FilterOp[] = ['lt', 'lte', 'gt', 'gte', 'between']
  const isNumeric = NUMERIC_TYPES.includes(column.type) || column.type === 'date'
  if (numericOps.includes(op) && !isNumeric) {
    return { text, reason: 'not_numeric', column: column.name }
  }
  const readOne = (value: unknown): TypedValue | undefined => {
    if (NUMERIC_TYPES.includes(column.type)) {
      const number = typeof value === 'number' ? value : readNumber(String(value ?? ''))
      return number === null ? undefined : number
    }
    if (column.type === 'boolean') {
      if (typeof value === 'boolean') return value
      return ['true', 'yes'].includes(String(value).toLowerCase())
        ? true
        : ['false', 'no'].includes(String(value).toLowerCase())
          ? false
          : undefined
    }
    if (value === null || value === undefined || typeof value === 'object') return undefined
    return String(value).slice(0, 200)
  }
  if (op === 'between' || op === 'in') {
    if (!Array.isArray(filter.value) || filter.value.length === 0) {
      return { text, reason: 'invalid_value', column: column.name }
    }
    const list = filter.value.map(readOne)
    if (list.some((v) => v === undefined) || (op === 'between' && list.length !== 2)) {
      return { text, reason: 'invalid_value', column: column.name }
    }
    return { column: column.name, op, value: list as TypedValue[] }
  }
  if (!['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'contains'].includes(op)) {
    return { text, reason: 'invalid_value', column: column.name }
  }
  const value = readOne(filter.value)
  if (value === undefined) return { text, reason: 'invalid_value', column: column.name }
  return { column: column.name, op, value }
}

export function isDropped(value: Filter | DroppedFilter): value is DroppedFilter {
  return 'reason' in value
}
