import { PDFParse, PasswordException, InvalidPDFException } from 'pdf-parse'
import { ConversionError } from './errors.js'

/*
| pdf-parse v2 wraps pdfjs-dist's legacy build. Under plain Node (20, 22, 24)
| it needs nothing at runtime for text: pdfjs runs its "fake worker" in the
| same process, importing pdf.worker.mjs from node_modules, so there is no
| worker URL to configure and no network access. A canvas (@napi-rs/canvas)
| is only used for screenshots and images, which the brain does not take.
*/

export interface PdfText {
  title: string | null
  markdown: string
  pages: number
}

/**
 * The text of every page, each preceded by a `<!-- page: N -->` line, with
 * headings recovered where the text makes them plain. The page count is read
 * (and the limit enforced) before any page's text is extracted.
 */
export async function convertPdf(bytes: Buffer, maxPages: number): Promise<PdfText> {
  const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 })
  try {
    const info = await parser.getInfo()
    if (info.total > maxPages) {
      throw new ConversionError('too_many_pages', 'The PDF has more pages than the limit.', {
        pages: info.total,
        maxPages,
      })
    }
    const text = await parser.getText({ lineEnforce: true })
    const infoTitle = cleanTitle(info.info?.Title)
    const markdown = pagesToMarkdown(
      text.pages.map((page) => ({ num: page.num, text: page.text })),
      infoTitle
    )
    if (!/[\p{L}\p{N}]/u.test(markdown.replace(/^<!-- page: \d+ -->$/gm, ''))) {
      throw new ConversionError(
        'empty',
        'The PDF has no text layer: it looks like a scanned image. Run it through OCR or upload the original document.',
        { pages: info.total }
      )
    }
    return { title: infoTitle, markdown, pages: info.total }
  } catch (error) {
    throw translatePdfError(error)
  } finally {
    await parser.destroy().catch(() => {})
  }
}

function translatePdfError(error: unknown): ConversionError {
  if (error instanceof ConversionError) return error
  if (error instanceof PasswordException || (error as Error)?.name === 'PasswordException') {
    return new ConversionError(
      'encrypted',
      'The PDF is protected with a password. Upload a copy without the password.'
    )
  }
  if (error instanceof InvalidPDFException || (error as Error)?.name === 'InvalidPDFException') {
    return new ConversionError('corrupt', 'The PDF is damaged and cannot be read.')
  }
  return new ConversionError('corrupt', 'The PDF could not be read.', {
    reason: (error as Error)?.message?.slice(0, 200) ?? null,
  })
}

/** Producers write junk titles ("Microsoft Word - Document1.docx", "untitled"). */
function cleanTitle(raw: unknown): string | null {
  if (typeof raw !== 'string') return null
  const title = raw
    .replace(/^Microsoft Word - /i, '')
    .replace(/\.(docx?|pdf)$/i, '')
    .trim()
  if (!title || /^(untitled|document\d*|title)$/i.test(title)) return null
  return title
}

/** Lines that start a bulleted item in extracted text. */
const BULLET = /^[•◦▪▫●○■□‣⁃∙·\-*–]\s+/
/** A sentence or clause end, Latin or Arabic. */
const LINE_END = /[.!?:;؟؛。]["')\]]*$/

function pagesToMarkdown(pages: { num: number; text: string }[], infoTitle: string | null) {
  const parts: string[] = []
  let previousEndsBlock = true
  let titleDone = false
  for (const page of pages) {
    parts.push(`<!-- page: ${page.num} -->`)
    const lines = page.text
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((line) => line.replace(/\t+/g, '  ').replace(/\s+$/, ''))
    let paragraph: string[] = []
    const flush = () => {
      if (paragraph.length) parts.push(joinWrapped(paragraph))
      paragraph = []
    }
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim()
      if (!line) {
        flush()
        previousEndsBlock = true
        continue
      }
      // A page number or running footer alone on a line says nothing.
      if (/^(page\s+)?\d+(\s*(of|\/)\s*\d+)?$/i.test(line)) continue

      // The first line of the document, when it is the PDF's own title, is
      // a line of its own but not a heading: the title is the source's name
      // already, and as a heading it would open every heading path.
      if (!titleDone && parts.length === 1 && paragraph.length === 0) {
        titleDone = true
        if (infoTitle && normalise(line) === normalise(infoTitle)) {
          parts.push(line)
          previousEndsBlock = true
          continue
        }
      }

      const heading = headingLevel(line, previousEndsBlock || paragraph.length === 0, lines[i + 1])
      if (heading) {
        flush()
        parts.push(`${'#'.repeat(heading)} ${line}`)
        previousEndsBlock = true
        continue
      }
      if (BULLET.test(line)) {
        flush()
        paragraph.push(`- ${line.replace(BULLET, '')}`)
        previousEndsBlock = LINE_END.test(line)
        continue
      }
      // A line set off by wide gaps (a table row or a form) stays a line.
      if (/\S {2,}\S/.test(line)) {
        flush()
        parts.push(line.replace(/ {2,}/g, ' | '))
        previousEndsBlock = true
        continue
      }
      paragraph.push(line)
      previousEndsBlock = LINE_END.test(line)
      if (previousEndsBlock && paragraph.join(' ').length > 400) flush()
    }
    flush()
  }
  return parts.join('\n\n')
}

/** Wrapped lines back into one paragraph, mending words hyphenated at a line end. */
function joinWrapped(lines: string[]) {
  let text = ''
  for (const line of lines) {
    if (!text) text = line
    else if (/\p{Ll}-$/u.test(text) && /^\p{Ll}/u.test(line)) text = text.slice(0, -1) + line
    else if (line.startsWith('- ')) text += `\n${line}`
    else text += ` ${line}`
  }
  return text
}

function normalise(text: string) {
  return text.toLowerCase().replace(/\s+/g, ' ').trim()
}

const SMALL_WORDS = new Set(
  'a an and as at by for from in into of on or the to with vs via per &'.split(' ')
)

/**
 * The Markdown level of a line that is a heading, or 0. Only shapes that are
 * reliable in extracted text count, and only at the start of a block (a line
 * after a finished sentence), so the end of a wrapped sentence is never
 * mistaken for a title:
 * - numbered section titles: "4 Exclusions", "4.2 Locum work", "Section 4
 *   Exclusions", "Article 12 Termination", "المادة 4 الاستثناءات";
 * - short lines in Title Case or CAPITALS with no closing punctuation.
 */
function headingLevel(line: string, startsBlock: boolean, next: string | undefined): number {
  if (!startsBlock || line.length > 90 || /[.,;:!?؟،؛]$/.test(line)) return 0
  // A title needs text after it on the page; a last short line is a footer.
  if (next === undefined) return 0
  const words = line.split(/\s+/)
  if (words.length > 12) return 0

  const named = line.match(
    /^(section|article|chapter|part|clause|schedule|appendix|annex)\s+([\dIVXLC]+|[A-Z])\b[.:)]?\s*\S/i
  )
  if (named && isTitleText(line.slice(named[0].length - 1))) return 2
  if (/^(المادة|الفصل|البند|القسم|الباب|الجزء|الملحق)\s+\S+/.test(line) && words.length <= 10)
    return 2

  const numbered = line.match(/^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+(\S.*)$/)
  if (numbered) {
    const depth = numbered[1].split('.').length
    // "30 days notice" or "2 tablets twice a day" are not titles: the words
    // after the number must start with a capital letter.
    if (!/^\p{Lu}/u.test(numbered[2]) || words.length > 10) return 0
    if (/^\d+\s*(%|am|pm|aed|usd|days?|hours?|years?|months?)\b/i.test(line)) return 0
    return Math.min(depth + 1, 6)
  }

  if (words.length > 8 || line.length > 70 || !/\p{L}/u.test(line)) return 0
  if (line === line.toUpperCase() && /\p{Lu}{3,}/u.test(line)) return 2
  return isTitleCase(words) ? 2 : 0
}

function isTitleText(rest: string) {
  return /\p{Lu}/u.test(rest.trim().charAt(0)) || rest.trim() === ''
}

function isTitleCase(words: string[]) {
  const significant = words.filter(
    (word) => /\p{L}/u.test(word) && !SMALL_WORDS.has(word.toLowerCase())
  )
  if (significant.length < 2) return false
  return significant.every((word) => /^["'(]?\p{Lu}/u.test(word) || /^\d/.test(word))
}
