import { contentTerms, foldText, messageLanguage, termMatch, tokenize } from '../text_toolkit.js'

/**
 * Checks a chat model's answer against the passages it cites, sentence by
 * sentence, before a customer reads it. A sentence is supported when every
 * number in it (prices, dates, durations, phone numbers) is written in its
 * passages, and, in the passages' own language, when at least half of its
 * content words are theirs. Sentences that say next to nothing ("Yes.",
 * "Hi Layla!") pass; the rest must be found.
 */
export interface SupportCheck {
  text: string
  kept: number
  removed: string[]
}

const MARKER = /\[(\d+(?:\s*,\s*\d+)*)\]/g
const SENTENCE = /(?<=[.!?\u061F])\s+/
/** Share of a sentence's content words its passages must hold. */
const MIN_SUPPORT = 0.5

function numbersIn(text: string) {
  return new Set(foldText(text).match(/\d+(?:\.\d+)?/g) ?? [])
}

export function checkSupport(text: string, passages: string[]): SupportCheck {
  const kept: string[] = []
  const removed: string[] = []
  for (const paragraph of text.split(/\n{2,}/)) {
    const keptHere: string[] = []
    for (const sentence of paragraph.split(SENTENCE)) {
      if (!sentence.trim()) continue
      const cited = [...sentence.matchAll(MARKER)].flatMap((m) =>
        m[1].split(',').map((n) => passages[Number(n) - 1])
      )
      const pool = (cited.filter(Boolean).length ? cited.filter(Boolean) : passages).join('\n')
      if (supported(sentence.replace(MARKER, ' '), pool)) keptHere.push(sentence.trim())
      else removed.push(sentence.trim())
    }
    if (keptHere.length) kept.push(keptHere.join(' '))
  }
  return { text: kept.join('\n\n'), kept: kept.length, removed }
}

function supported(sentence: string, pool: string) {
  const available = numbersIn(pool)
  for (const number of numbersIn(sentence)) if (!available.has(number)) return false
  const terms = contentTerms(sentence)
  if (terms.length <= 1) return true
  // Across languages (an Arabic answer from English passages) only the numbers can be checked.
  if (messageLanguage(sentence) !== messageLanguage(pool)) return true
  const stems = new Set(tokenize(pool).map((t) => t.stem))
  const found = terms.filter((term) => termMatch(term, stems) >= 0.7).length
  return found / terms.length >= MIN_SUPPORT
}
