import {
  acronymsOf,
  foldText,
  holdsWord,
  synonymsOf,
  termMatch,
  tokenize,
} from '../text_toolkit.js'

/*
| Rows that contradict the question. A table row (or a "Key: value; Key:
| value" record, as CSV sources are written) answers a question only if it
| is the row asked about: "the studio in Business Bay" is not answered by a
| one-bedroom flat in Business Bay, nor by the studio in Dubai Marina, and
| "a villa for sale" is not answered by a villa to rent, however many of
| the question's words those rows share. Two checks, both in English and
| Arabic:
|
|   1. The table's own values: a value the question names in one column
|      (an area, a plan, a type, "2 bedroom") rules out the rows holding
|      another value there, unless the question names theirs too.
|   2. Alternatives that exclude each other (rent or sale; a flat, a villa,
|      an office...): a row stating only other alternatives than the
|      question's contradicts it.
|
| A contradicting row is not an answer; when every row contradicts, the
| question is refused rather than answered with the nearest row.
*/

export interface RowPassage {
  text: string
  /** Words framing the passage (a table's header row). */
  context: string
  /** The document's title (a listings table says "rental" there). */
  title?: string
}

interface Field {
  column: string
  value: string
}

/**
 * Alternatives that exclude each other, each a list of words (English and
 * folded Gulf Arabic) naming one alternative. Kept small and about kinds of
 * things a row describes; prose is not checked.
 */
const EXCLUSIVE_FACETS: string[][] = [
  // Tenure.
  [
    'rent rental rented renting lease leased leasing tenancy ايجار مستاجر مؤجر',
    'sale sell selling buy buying purchase purchasing freehold بيع شراء تمليك اشتري',
  ],
  // Kind of property.
  [
    'apartment apartments flat flats شقه شقق',
    'villa villas فيلا فله فلل',
    'townhouse townhouses تاون',
    'studio studios استوديو ستوديو',
    'office offices مكتب مكاتب',
    'penthouse penthouses بنتهاوس',
    'shop shops retail محل محلات',
    'warehouse warehouses مستودع مخزن',
    'plot plots land ارض اراضي',
  ],
]

const FACETS = EXCLUSIVE_FACETS.map((facet) =>
  facet.map((alternative) => tokenize(alternative).map((t) => t.stem))
)

/** Comparison words before a number: "under 100000" does not name a row's value. */
const COMPARISON = new Set(
  tokenize(
    'under over below above less more least most max maximum min minimum up between than upto اقل اكثر فوق تحت بين حد'
  ).map((t) => t.stem)
)
/** Numbers read as a row's value (bedrooms, parking spaces), not prices or sizes. */
const SMALL_NUMBER = 100

/**
 * A passage as a record: the cells of a table row under its header, or the
 * "Key: value; Key: value" fields of a CSV row; null for prose.
 */
export function recordFields(passage: RowPassage): Field[] | null {
  const text = passage.text.trim()
  if (passage.context) {
    const columns = passage.context.split(' · ')
    const values = text.split(' · ')
    if (columns.length >= 2 && columns.length === values.length) {
      return columns.map((column, i) => ({ column: column.trim(), value: values[i].trim() }))
    }
  }
  const parts = text.replace(/[.;]\s*$/, '').split(/;\s+/)
  if (parts.length < 2) return null
  const fields: Field[] = []
  for (const part of parts) {
    const match = /^([^:;]{1,60}):\s*(.*)$/.exec(part)
    if (!match) return null
    fields.push({ column: match[1].trim(), value: match[2].trim() })
  }
  return fields
}

interface Column {
  headerStems: Set<string>
  /** Each value's content stems, by the value's folded text. */
  values: Map<string, string[]>
}

/**
 * For each passage, whether it is a row contradicting the question. The
 * columns' values are read from every row among the passages.
 */
export function contradictedRows(question: string, passages: RowPassage[]): boolean[] {
  const records = passages.map(recordFields)
  if (records.every((record) => record === null)) return passages.map(() => false)

  const columns = new Map<string, Column>()
  for (const record of records) {
    for (const field of record ?? []) {
      const key = foldText(field.column)
      const column = columns.get(key) ?? {
        headerStems: new Set(
          tokenize(field.column)
            .filter((t) => t.content)
            .map((t) => t.stem)
        ),
        values: new Map<string, string[]>(),
      }
      column.values.set(foldText(field.value), valueStems(field.value))
      columns.set(key, column)
    }
  }

  // A follow-up is read with the question before it, one per line ("and
  // the villa in Mirdif?" then "the 2 bedroom flat in JLT"): a first line
  // that names rows itself decides alone, else every line counts (a burst
  // of "hi", "the flat in JLT", "the 2 bedroom one").
  const lines = question.split('\n').map((line) => askedIn(line, columns))
  const asked = lines[0].names ? lines[0] : mergeAsked(lines)

  return passages.map((passage, p) => {
    const record = records[p]
    if (!record) return false
    for (const field of record) {
      const values = asked.named.get(foldText(field.column))
      if (values && !values.has(foldText(field.value))) return true
    }
    const rowStems = new Set(
      tokenize([passage.text, passage.context, passage.title ?? ''].join(' ')).map((t) => t.stem)
    )
    return FACETS.some((facet, f) => {
      const alternatives = asked.alternatives[f]
      if (alternatives.length === 0) return false
      const stated = facet.flatMap((words, i) =>
        words.some((w) => holdsWord(w, rowStems)) ? [i] : []
      )
      return stated.length > 0 && !stated.some((i) => alternatives.includes(i))
    })
  })
}

interface Asked {
  /** The values named, per column. */
  named: Map<string, Set<string>>
  /** Per facet, the alternatives named. */
  alternatives: number[][]
  names: boolean
}

/** What a line of the question names: columns' values and facets' alternatives. */
function askedIn(line: string, columns: Map<string, Column>): Asked {
  const tokens = tokenize(line)
  const questionStems = new Set(tokens.filter((t) => t.content).map((t) => t.stem))
  const allStems = tokens.map((t) => t.stem)
  const named = new Map<string, Set<string>>()
  for (const [key, column] of columns) {
    const own = new Set<string>()
    for (const [value, stems] of column.values) {
      if (namesValue(value, stems, column, questionStems, allStems)) own.add(value)
    }
    if (own.size) named.set(key, own)
  }
  const alternatives = FACETS.map((facet) =>
    facet.flatMap((words, i) => (words.some((w) => holdsWord(w, questionStems)) ? [i] : []))
  )
  return { named, alternatives, names: named.size > 0 || alternatives.some((a) => a.length > 0) }
}

function mergeAsked(lines: Asked[]): Asked {
  const named = new Map<string, Set<string>>()
  for (const line of lines) {
    for (const [key, values] of line.named) {
      named.set(key, new Set([...(named.get(key) ?? []), ...values]))
    }
  }
  const alternatives = FACETS.map((_, f) => [...new Set(lines.flatMap((l) => l.alternatives[f]))])
  return { named, alternatives, names: lines.some((l) => l.names) }
}

function valueStems(value: string) {
  return tokenize(value)
    .filter((t) => t.content)
    .map((t) => t.stem)
}

/**
 * Whether the question names a column's value: all its words, a word only
 * that value has in its column ("marina" for Dubai Marina, "villa", a synonym such as
 * "flat" for Apartment), its initials (JLT), or for a small number, the
 * number before a word of the column's header ("2 bedroom", "3 bed").
 */
function namesValue(
  value: string,
  stems: string[],
  column: Column,
  questionStems: Set<string>,
  allStems: string[]
) {
  if (stems.length === 0) return false
  if (stems.every((stem) => /^\d+(\.\d+)?$/.test(stem))) {
    if (stems.length !== 1 || Number(stems[0]) >= SMALL_NUMBER) return false
    return allStems.some((stem, i) => {
      if (stem !== stems[0]) return false
      if (COMPARISON.has(allStems[i - 1] ?? '') || COMPARISON.has(allStems[i - 2] ?? ''))
        return false
      // The number before the header's word: "2 bedroom", "3 غرف" (after it, "the
      // bedroom one" would name one bedroom).
      const next = allStems[i + 1]
      return next !== undefined && termMatch(next, column.headerStems) >= 0.8
    })
  }
  if (acronymsOf(value).some((acronym) => questionStems.has(acronym))) return true
  if (stems.every((stem) => namesWord(stem, questionStems))) return true
  const others = [...column.values].filter(([other]) => other !== value)
  const distinctive = stems.filter(
    (stem) => !/^\d/.test(stem) && !others.some(([, words]) => words.includes(stem))
  )
  return distinctive.some((stem) => namesWord(stem, questionStems))
}

/**
 * Whether the question holds a value's word: itself, a synonym ("flat" for
 * apartment), or another form sharing nearly all of the longer word
 * (neurosurgeon, neurosurgery), not merely a beginning (villa, village).
 */
function namesWord(word: string, questionStems: Set<string>) {
  if (questionStems.has(word)) return true
  if (synonymsOf(word).some((synonym) => questionStems.has(synonym))) return true
  for (const stem of questionStems) {
    const longer = Math.max(stem.length, word.length)
    let shared = 0
    while (shared < Math.min(stem.length, word.length) && stem[shared] === word[shared]) shared++
    if (shared >= 5 && shared >= 0.8 * longer) return true
  }
  return false
}

/**
 * A row quoted as an answer, the fields the question asks about first:
 * "Annual rent (AED): 115000. Reference: GV-102; Area: ..." reads as an
 * answer, the row in its own order as a record. `asked` are the question's
 * content stems; a field whose value the question names (the "2" of "the 2
 * bedroom flat") does not lead. Every field stays, as written; prose is
 * returned as it is.
 */
export function rowAnswer(text: string, asked: Set<string>) {
  const fields = recordFields({ text, context: '' })
  if (!fields) return text
  const wanted = fields.filter((field) => {
    const header = tokenize(field.column).filter((t) => t.content)
    // A value the question names is how it picked the row, not what it asks.
    const named = tokenize(field.value).some((t) => t.content && asked.has(t.stem))
    return !named && header.some((t) => termMatch(t.stem, asked) >= 0.8)
  })
  if (wanted.length === 0 || wanted.length === fields.length) return text
  const rest = fields.filter((field) => !wanted.includes(field))
  const line = (list: Field[]) => list.map((f) => `${f.column}: ${f.value}`).join('; ')
  return `${line(wanted)}. ${line(rest)}`
}
