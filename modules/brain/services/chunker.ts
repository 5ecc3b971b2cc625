/*
| Markdown → passages for search and citation. A chunk never crosses a
| heading, so its heading path (['Section 4 Exclusions', '4.2 Locum work'])
| says exactly where it comes from; within a section chunks aim at about
| 1,000 characters, never pass about 1,600, and overlap by a sentence or two
| so an answer that straddles a boundary is still found whole. Tables, code
| blocks and list items are kept whole; a table cut in two repeats its header.
| The same Markdown always gives the same chunks.
*/

export interface Chunk {
  ordinal: number
  text: string
  headingPath: string[]
  page: number | null
}

export interface ChunkOptions {
  targetChars?: number
  maxChars?: number
  overlapChars?: number
}

type BlockKind = 'paragraph' | 'list' | 'table' | 'code' | 'quote'

interface Block {
  kind: BlockKind
  text: string
  page: number | null
}

interface Section {
  headingPath: string[]
  blocks: Block[]
}

const PAGE_MARKER = /^\s*<!--\s*page:\s*(\d+)\s*-->\s*$/
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/
const FENCE = /^ {0,3}(`{3,}|~{3,})/
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+/
const TABLE_ROW = /^ {0,3}\|/
const TABLE_DIVIDER = /^ {0,3}\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/

export function chunkMarkdown(markdown: string, options: ChunkOptions = {}): Chunk[] {
  const target = options.targetChars ?? 1000
  const max = Math.max(options.maxChars ?? 1600, target)
  const overlap = Math.max(0, Math.min(options.overlapChars ?? 150, Math.floor(target / 2)))

  const chunks: Chunk[] = []
  for (const section of parseSections(markdown)) {
    for (const piece of packSection(section.blocks, target, max, overlap)) {
      chunks.push({
        ordinal: chunks.length,
        text: piece.text,
        headingPath: section.headingPath,
        page: piece.page,
      })
    }
  }
  return chunks
}

/** Splits the document at headings and each section into blocks, tracking pages. */
function parseSections(markdown: string): Section[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n')
  const sections: Section[] = []
  const headings: { level: number; text: string }[] = []
  const allHeadings: string[] = []
  let current: Section = { headingPath: [], blocks: [] }
  let page: number | null = null
  let i = 0

  const startSection = (level: number, text: string) => {
    if (current.blocks.length) sections.push(current)
    while (headings.length && headings[headings.length - 1].level >= level) headings.pop()
    headings.push({ level, text })
    allHeadings.push(text)
    current = { headingPath: headings.map((heading) => heading.text), blocks: [] }
  }
  const add = (kind: BlockKind, text: string, startPage: number | null) => {
    if (text.trim()) current.blocks.push({ kind, text: text.replace(/\s+$/, ''), page: startPage })
  }

  while (i < lines.length) {
    const line = lines[i]
    const marker = line.match(PAGE_MARKER)
    if (marker) {
      page = Number(marker[1])
      i++
      continue
    }
    if (!line.trim()) {
      i++
      continue
    }
    const heading = line.match(HEADING)
    if (heading) {
      const text = inlineText(heading[2])
      if (text) startSection(heading[1].length, text)
      i++
      continue
    }
    // Setext headings: a line underlined with === or ---.
    if (
      i + 1 < lines.length &&
      /^ {0,3}(=+|-+)\s*$/.test(lines[i + 1]) &&
      !LIST_ITEM.test(line) &&
      !TABLE_ROW.test(line)
    ) {
      const text = inlineText(line)
      if (text) startSection(lines[i + 1].trim().startsWith('=') ? 1 : 2, text)
      i += 2
      continue
    }
    const fence = line.match(FENCE)
    if (fence) {
      const start = page
      const body = [line]
      i++
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++])
      if (i < lines.length) body.push(lines[i++])
      else body.push(fence[1])
      add('code', body.join('\n'), start)
      continue
    }
    if (TABLE_ROW.test(line) && i + 1 < lines.length && TABLE_DIVIDER.test(lines[i + 1])) {
      const start = page
      const rows: string[] = []
      while (i < lines.length && TABLE_ROW.test(lines[i])) rows.push(lines[i++].trim())
      add('table', rows.join('\n'), start)
      continue
    }
    if (LIST_ITEM.test(line)) {
      const start = page
      const body: string[] = []
      while (i < lines.length) {
        const next = lines[i]
        if (PAGE_MARKER.test(next)) {
          page = Number(next.match(PAGE_MARKER)![1])
          i++
          continue
        }
        if (!next.trim()) {
          // A blank line ends the list unless the list (or an item's
          // continuation, indented) goes on after it.
          const after = lines[i + 1] ?? ''
          if (LIST_ITEM.test(after) || /^( {2,}|\t)\S/.test(after)) {
            body.push('')
            i++
            continue
          }
          break
        }
        if (
          !LIST_ITEM.test(next) &&
          !/^( {2,}|\t)/.test(next) &&
          (HEADING.test(next) || FENCE.test(next) || TABLE_ROW.test(next))
        )
          break
        body.push(next)
        i++
      }
      add('list', body.join('\n'), start)
      continue
    }
    if (/^ {0,3}>/.test(line)) {
      const start = page
      const body: string[] = []
      while (i < lines.length && /^ {0,3}>/.test(lines[i])) body.push(lines[i++])
      add('quote', body.join('\n'), start)
      continue
    }
    // A paragraph runs to a blank line or to the start of another block.
    const start = page
    const body: string[] = []
    while (i < lines.length) {
      const next = lines[i]
      if (
        !next.trim() ||
        PAGE_MARKER.test(next) ||
        HEADING.test(next) ||
        FENCE.test(next) ||
        LIST_ITEM.test(next)
      )
        break
      if (TABLE_ROW.test(next) && TABLE_DIVIDER.test(lines[i + 1] ?? '')) break
      if (body.length && /^ {0,3}(=+|-+)\s*$/.test(lines[i + 1] ?? '')) break
      body.push(next.trim())
      i++
    }
    add('paragraph', body.join('\n'), start)
  }
  if (current.blocks.length) sections.push(current)
  // A document of headings alone still says something: keep them as text.
  if (sections.length === 0 && allHeadings.length) {
    sections.push({
      headingPath: [],
      blocks: [{ kind: 'paragraph', text: allHeadings.join('\n'), page }],
    })
  }
  return sections
}

/** Heading text without Markdown emphasis, links or escapes. */
function inlineText(text: string) {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|\*|_|`)(.+?)\1/g, '$2')
    .replace(/\\([\\`*_{}[\]()#+\-.!|])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * Packs a section's blocks into chunks: blocks are added while the chunk is
 * under the target, and a block that fits within the maximum still joins a
 * chunk that has not reached the target. A block bigger than the maximum is
 * cut at its own seams (sentences, list items, table rows, code lines).
 */
function packSection(
  blocks: Block[],
  target: number,
  max: number,
  overlap: number
): { text: string; page: number | null }[] {
  // Pieces cut from one block remember it, so they are joined back as they
  // were (a sentence after a sentence, an item after an item) rather than as
  // separate paragraphs; pieces of a table or code block each stand alone.
  const units: (Block & { origin: number })[] = []
  blocks.forEach((block, origin) => {
    const pieces = block.text.length <= max ? [block] : splitBlock(block, target, max)
    for (const piece of pieces) units.push({ ...piece, origin })
  })

  const pieces: { text: string; page: number | null }[] = []
  let text = ''
  let page: number | null = null
  let last: { kind: BlockKind; origin: number } | null = null

  const joiner = (unit: { kind: BlockKind; origin: number }) => {
    if (!last || last.origin !== unit.origin) return '\n\n'
    return unit.kind === 'list' ? '\n' : ' '
  }
  const standsAlone = (unit: { kind: BlockKind; origin: number }) =>
    last !== null && last.origin === unit.origin && (unit.kind === 'table' || unit.kind === 'code')

  for (const unit of units) {
    if (
      text &&
      (text.length >= target ||
        text.length + joiner(unit).length + unit.text.length > max ||
        standsAlone(unit))
    ) {
      pieces.push({ text, page })
      const carried =
        last && (last.kind === 'paragraph' || last.kind === 'quote')
          ? overlapText(text, overlap)
          : ''
      text = ''
      // The overlap is context, never a reason to exceed the maximum.
      if (carried && carried.length + joiner(unit).length + unit.text.length <= max) text = carried
      // A chunk's page is where its own text starts, not its overlap.
      page = unit.page
    }
    if (!text) page = unit.page
    text = text ? `${text}${joiner(unit)}${unit.text}` : unit.text
    last = { kind: unit.kind, origin: unit.origin }
  }
  if (text) pieces.push({ text, page })
  return pieces
}

/**
 * The last whole sentences of a chunk, up to `limit` characters. One long
 * closing sentence may take up to twice the limit: legal and policy prose
 * rarely has sentences under 150 characters, and half a sentence is no
 * context at all.
 */
function overlapText(text: string, limit: number): string {
  if (!text || limit <= 0) return ''
  const sentences = splitSentences(text.split('\n\n').pop() ?? '')
  let taken = ''
  // Never the whole paragraph: that would repeat it rather than overlap.
  for (let i = sentences.length - 1; i > 0; i--) {
    const candidate = taken ? `${sentences[i]} ${taken}` : sentences[i]
    if (candidate.length > (taken ? limit : limit * 2)) break
    taken = candidate
  }
  return taken
}

/**
 * Sentences of a paragraph, keeping their punctuation. A break needs
 * sentence-ending punctuation (Latin or Arabic) followed by a space and a
 * new sentence, so "Dr. Smith" or "4.2 Locum" stay whole more often than not.
 */
function splitSentences(text: string): string[] {
  const sentences: string[] = []
  const pattern = /[.!?؟؛。…]*[^.!?؟؛。…\n]+(?:[.!?؟؛。…]+["'”’)\]]*|\n|$)|[.!?؟؛。…]+/gu
  for (const match of text.matchAll(pattern)) {
    const sentence = match[0].trim()
    if (!sentence) continue
    const previous = sentences[sentences.length - 1]
    // Abbreviations, initials and decimals: a short piece joins the one before.
    if (
      previous &&
      (/\b(?:[A-Z]|Dr|Mr|Mrs|Ms|No|St|e\.g|i\.e|etc|vs|approx)\.$/.test(previous) ||
        (/\d\.$/.test(previous) && /^\d/.test(sentence)))
    ) {
      sentences[sentences.length - 1] = `${previous}${/\d\.$/.test(previous) ? '' : ' '}${sentence}`
      continue
    }
    sentences.push(sentence)
  }
  return sentences
}

/**
 * Cuts one oversized block at its natural seams into pieces of about the
 * target size (a single seamless run may reach `max`), so the chunks it
 * becomes are as full as any other.
 */
function splitBlock(block: Block, target: number, max: number): Block[] {
  switch (block.kind) {
    case 'table':
      return splitTable(block, target, max)
    case 'code':
      return splitCode(block, target, max)
    case 'list':
      return groupPieces(
        listItems(block.text).flatMap((item) => splitLong(item, max)),
        target,
        '\n'
      ).map((text) => ({ ...block, text }))
    default:
      return groupPieces(
        splitSentences(block.text).flatMap((sentence) => splitLong(sentence, max)),
        target,
        ' '
      ).map((text) => ({ ...block, text }))
  }
}

/** Items of a Markdown list, each with its continuation lines. */
function listItems(text: string): string[] {
  const items: string[] = []
  for (const line of text.split('\n')) {
    if (LIST_ITEM.test(line) || !items.length) items.push(line)
    else items[items.length - 1] += `\n${line}`
  }
  return items.map((item) => item.replace(/\s+$/, ''))
}

/** A table in row groups, each repeating the header and divider rows. */
function splitTable(block: Block, target: number, max: number): Block[] {
  const rows = block.text.split('\n')
  const header = rows.slice(0, 2).join('\n')
  const budget = Math.max(max - header.length - 1, 1)
  return groupPieces(
    rows.slice(2).flatMap((row) => splitLong(row, budget)),
    Math.min(Math.max(target - header.length - 1, 1), budget),
    '\n'
  ).map((body) => ({ ...block, text: `${header}\n${body}` }))
}

/** A code block in runs of whole lines, each fenced again so it stays code. */
function splitCode(block: Block, target: number, max: number): Block[] {
  const lines = block.text.split('\n')
  const open = lines[0]
  const close = lines[lines.length - 1]
  const fenceLength = open.length + close.length + 2
  const budget = Math.max(max - fenceLength, 1)
  return groupPieces(
    lines.slice(1, -1).flatMap((line) => splitLong(line, budget)),
    Math.min(Math.max(target - fenceLength, 1), budget),
    '\n'
  ).map((body) => ({ ...block, text: `${open}\n${body}\n${close}` }))
}

/** Joins pieces greedily up to `max`. */
function groupPieces(pieces: string[], max: number, separator: string): string[] {
  const groups: string[] = []
  let current = ''
  for (const piece of pieces) {
    if (!piece.trim()) continue
    if (current && current.length + separator.length + piece.length > max) {
      groups.push(current)
      current = piece
    } else {
      current = current ? `${current}${separator}${piece}` : piece
    }
  }
  if (current.trim()) groups.push(current)
  return groups
}

/**
 * A single run of text with no sentence seams (a huge sentence or row), cut
 * after a clause (a Latin or Arabic comma or semicolon) when there is one in
 * the second half of the window, else at a space.
 */
function splitLong(text: string, max: number): string[] {
  if (text.length <= max) return [text]
  const parts: string[] = []
  let rest = text
  while (rest.length > max) {
    const window = rest.slice(0, max + 1)
    let cut = Math.max(
      window.lastIndexOf(', '),
      window.lastIndexOf('، '),
      window.lastIndexOf('; '),
      window.lastIndexOf('؛ ')
    )
    cut = cut >= max / 2 ? cut + 1 : window.lastIndexOf(' ')
    if (cut < max / 2) cut = max
    parts.push(rest.slice(0, cut).trim())
    rest = rest.slice(cut).trim()
  }
  if (rest) parts.push(rest)
  return parts
}
