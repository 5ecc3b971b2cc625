/**
 * How a retrieved chunk splits into quotable passages (sentences, list
 * items, table rows), and the Markdown a quote should not carry. Words,
 * stop words and normal forms are the text toolkit's (../text_toolkit.ts).
 */

/** Markdown syntax a quote should not carry into a chat message. */
export function plainText(markdown: string) {
  return markdown
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|\s)[*_](\S.*?\S|\S)[*_](?=\s|$|[.,;:])/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/^\s{0,3}(?:[-*+]|\d+[.)])\s+/, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * A heading without its outline number ("9.6 Late notification": Late
 * notification): a section's number is where it sits, not what it says, and
 * read as words it would answer "6 nurses" or count as a stated number.
 */
export function headingText(heading: string) {
  return heading.replace(/^\s*\d+(?:\.\d+)*[.)]?\s+(?=\S)/u, '')
}

export interface Passage {
  /** What is quoted. */
  text: string
  /** Words that frame the passage without being part of it (a table's header row). */
  context: string
  /** Position in the chunk, so neighbours can be joined. */
  index: number
  /** The line (paragraph, list item, row) it comes from: only its own sentences continue it. */
  block: number
  /**
   * For a list item after a sentence ending in a colon ("covered, provided
   * that:"), that sentence's index: the item is one of its conditions.
   */
  leadIn: number | null
}

const LIST_ITEM = /^\s{0,3}(?:[-*+]|\d+[.)])\s+/

const SENTENCE_END = /(?<=[.!?\u061F])\s+(?=["'\u201C(\p{Lu}\p{Script=Arabic}\d])/u
const ABBREVIATION = /\b(?:e\.g|i\.e|etc|no|nos|art|sec|fig|approx|dr|mr|mrs|ms|st|vs)\.$/i

/**
 * A chunk's quotable passages: its sentences, list items and table rows.
 * Headings are dropped (the heading path says where a passage sits), very
 * short fragments are joined to their neighbour, and a table row carries the
 * header row as context so "54300" is known to be an annual premium.
 */
export function splitPassages(chunkText: string): Passage[] {
  const passages: Passage[] = []
  const lines = chunkText.split(/\r?\n/).map((l) => l.trim())
  let tableHeader = ''
  // The sentence a list continues ("…, provided that:"), while its items follow.
  let lead: Passage | null = null

  const push = (text: string, line: number, context = '', leadIn: Passage | null = null) => {
    const clean = plainText(text)
    if (clean.length === 0) return
    const last = passages.at(-1)
    // A fragment under 30 characters ("Call us any time.") says too little
    // to quote alone; it stays with the sentence before it in its paragraph.
    if (last && last.block === line && !context && clean.length < 30) {
      last.text = `${last.text} ${clean}`
      return
    }
    const passage: Passage = {
      text: clean,
      context: leadIn ? leadIn.text : context,
      index: passages.length,
      block: line,
      leadIn: leadIn ? leadIn.index : null,
    }
    passages.push(passage)
  }

  lines.forEach((text, line) => {
    if (text.length === 0 || /^<!--.*-->$/.test(text)) return
    if (/^#{1,6}\s/.test(text)) {
      lead = null
      return
    }
    if (LIST_ITEM.test(text) && lead) {
      push(text, line, '', lead)
      return
    }
    if (text.startsWith('|')) {
      lead = null
      if (isTableSeparator(text)) return
      const cells = text
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => plainText(cell))
        .join(' · ')
      // The header is the row a separator line follows; a chunk that starts
      // mid-table has none, and its rows are quoted without one.
      if (isTableSeparator(lines[line + 1] ?? '')) tableHeader = cells
      else push(cells, line, tableHeader)
      return
    }
    tableHeader = ''
    for (const sentence of splitSentences(text)) push(sentence, line)
    const last = passages.at(-1)
    lead = last && last.block === line && /:\s*$/.test(last.text) ? last : null
  })
  return passages
}

function isTableSeparator(line: string) {
  return /^\|?[\s:|-]+\|?$/.test(line) && line.includes('-')
}

function splitSentences(paragraph: string) {
  const parts = paragraph.split(SENTENCE_END)
  const sentences: string[] = []
  for (const part of parts) {
    const last = sentences.at(-1)
    if (last !== undefined && ABBREVIATION.test(last))
      sentences[sentences.length - 1] = `${last} ${part}`
    else sentences.push(part)
  }
  return sentences
}
