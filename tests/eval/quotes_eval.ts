/*
| npm run eval:quotes
|
| Field accuracy of the offline quote extractor (modules/hitl/services/quotes)
| on the quote PDFs the tests generate (tests/helpers/quote_fixtures.ts):
| four layouts (labelled lines, a two-column table, a one-row table with the
| deductible absent, an Arabic quote). Each PDF goes through the real path
| (pdf-parse text, then extractQuote); each of the eight fields is right
| when it equals the expected value (text compared case- and space-folded,
| amounts exactly, exclusions as the same list), and a field the quote does
| not state is right only when it is marked missing (never invented).
| Prints per field, per quote and overall; exits 0 whatever the numbers.
| Caveat: the fixtures were written beside the extractor, not held out.
*/
import { quoteFixtures, type ExpectedQuote } from '../helpers/quote_fixtures.js'
import {
  extractQuote,
  type QuoteExtraction,
} from '../../modules/hitl/services/quotes/quote_extractor.js'
import { quotePdfPages } from '../../modules/hitl/services/quotes/quote_text.js'

const FIELDS = [
  'insurer',
  'product',
  'premium',
  'currency',
  'period',
  'coverage_limit',
  'deductible',
  'exclusions',
] as const

const fold = (value: unknown) =>
  String(value ?? '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()

function right(name: (typeof FIELDS)[number], got: QuoteExtraction, expected: ExpectedQuote) {
  const want = expected[name]
  const field = got[name]
  if (want === null) return field.missing && field.value === null
  if (field.missing) return false
  if (name === 'exclusions') {
    const list = (field.value as string[]) ?? []
    const wanted = want as string[]
    return list.length === wanted.length && wanted.every((w, i) => fold(list[i]) === fold(w))
  }
  if (typeof want === 'number') return field.value === want
  return fold(field.value) === fold(want)
}

const perField = new Map<string, { right: number; total: number }>()
let total = 0
let correct = 0
console.log('Offline quote extractor, field accuracy\n')
for (const fixture of quoteFixtures()) {
  const pages = await quotePdfPages(fixture.pdf)
  const got = extractQuote(pages)
  let quoteRight = 0
  const misses: string[] = []
  for (const name of FIELDS) {
    const ok = right(name, got, fixture.expected)
    const tally = perField.get(name) ?? { right: 0, total: 0 }
    tally.total++
    if (ok) tally.right++
    perField.set(name, tally)
    total++
    if (ok) {
      correct++
      quoteRight++
    } else {
      misses.push(
        `${name}: got ${JSON.stringify(got[name].value)}, expected ${JSON.stringify(fixture.expected[name])}`
      )
    }
  }
  console.log(
    `${fixture.name.padEnd(46)} ${fixture.language}  ${quoteRight}/${FIELDS.length}` +
      (misses.length ? `\n    ${misses.join('\n    ')}` : '')
  )
}
console.log('\nBy field')
for (const name of FIELDS) {
  const tally = perField.get(name)!
  console.log(`  ${name.padEnd(16)} ${tally.right}/${tally.total}`)
}
const accuracy = (100 * correct) / total
console.log(`\nField accuracy: ${correct}/${total} = ${accuracy.toFixed(1)}% (target >= 90%)`)
