import app from '@adonisjs/core/services/app'
import { ConversionError } from './conversion/errors.js'
import { detectLanguage, type SourceLanguage } from './text_toolkit.js'
import { sniffFileType } from './conversion/sniff.js'
import { convertPdf } from './conversion/pdf.js'
import { convertDocx } from './conversion/docx.js'
import { htmlToMarkdown } from './conversion/html.js'
import { csvToMarkdown } from './conversion/csv.js'
import { decodeText } from './conversion/charset.js'
import { fetchGuarded } from './conversion/fetch.js'

/*
| Turns whatever a tenant teaches the brain (files, web pages, pasted text,
| question-and-answer pairs) into one Markdown form the chunker understands:
| headings for structure, GFM tables, and `<!-- page: N -->` lines in PDFs so
| answers can cite a page.
*/

export { ConversionError, detectLanguage }
export type { ConversionErrorCode } from './conversion/errors.js'
export type { SourceLanguage }

export interface ConvertedDocument {
  /** From the document itself (PDF info or first heading, <title>, DOCX first heading). */
  title: string | null
  /** PDFs carry a `<!-- page: N -->` line before each page's text. */
  markdown: string
  /** PDFs only. */
  pages: number | null
  language: SourceLanguage
}

export interface ConversionLimits {
  maxBytes: number
  maxPages: number
}

function resolveLimits(limits: Partial<ConversionLimits> = {}): ConversionLimits {
  return {
    maxBytes: limits.maxBytes ?? app.config.get<number>('brain.maxFileBytes', 25 * 1024 * 1024),
    maxPages: limits.maxPages ?? app.config.get<number>('brain.maxPages', 500),
  }
}

/** Builds the document every converter returns, refusing one with no words in it. */
function finish(title: string | null, markdown: string, pages: number | null): ConvertedDocument {
  const clean = markdown
    .replace(/\r\n?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
  const withoutMarkers = clean.replace(/^<!-- page: \d+ -->$/gm, '').trim()
  if (!/[\p{L}\p{N}]/u.test(withoutMarkers)) {
    throw new ConversionError('empty', 'The document contains no text to learn from.')
  }
  return {
    title: title?.trim() || null,
    markdown: clean,
    pages,
    language: detectLanguage(withoutMarkers),
  }
}

/** The first Markdown heading, used as a title when the document names none. */
function firstHeading(markdown: string): string | null {
  const match = markdown.match(/^#{1,6}\s+(.+?)\s*#*\s*$/m)
  return match ? match[1].trim() : null
}

/**
 * Converts an uploaded file. The type is sniffed from the bytes first (a PDF
 * renamed .txt is still a PDF; a .docx that is not a Word ZIP is refused),
 * then taken from the extension or MIME type for formats with no signature.
 */
export async function convertFile(
  file: { bytes: Buffer; filename: string; mimeType?: string | null },
  limits?: Partial<ConversionLimits>
): Promise<ConvertedDocument> {
  const { maxBytes, maxPages } = resolveLimits(limits)
  // Checked before any parsing: a huge file must not cost memory or CPU.
  if (file.bytes.length > maxBytes) {
    throw new ConversionError('too_large', 'The file is larger than the limit.', {
      bytes: file.bytes.length,
      maxBytes,
    })
  }

  const type = await sniffFileType(file.bytes, file.filename, file.mimeType)
  switch (type) {
    case 'pdf': {
      const pdf = await convertPdf(file.bytes, maxPages)
      return finish(pdf.title ?? firstHeading(pdf.markdown), pdf.markdown, pdf.pages)
    }
    case 'docx': {
      const markdown = await convertDocx(file.bytes)
      return finish(firstHeading(markdown), markdown, null)
    }
    case 'html': {
      const html = htmlToMarkdown(decodeText(file.bytes, { html: true }))
      return finish(html.title ?? firstHeading(html.markdown), html.markdown, null)
    }
    case 'markdown': {
      const markdown = decodeText(file.bytes)
      return finish(firstHeading(markdown), markdown, null)
    }
    case 'text': {
      const text = decodeText(file.bytes)
      return finish(null, text, null)
    }
    case 'csv': {
      const markdown = csvToMarkdown(decodeText(file.bytes), titleFromFilename(file.filename))
      return finish(titleFromFilename(file.filename), markdown, null)
    }
    default:
      throw new ConversionError('unsupported_type', 'This kind of file cannot be read.', {
        filename: file.filename,
        mimeType: file.mimeType ?? null,
      })
  }
}

function titleFromFilename(filename: string): string | null {
  const base = filename.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, '')
  const words = base.replace(/[_-]+/g, ' ').trim()
  return words || null
}

/**
 * The bytes at a URL a tenant chose (a sheet to import, say), fetched as URL
 * sources are: through the outbound guard at every hop, within the time and
 * size limits. Another module's sources use it so one guard serves all.
 */
export async function fetchUrlBytes(url: string, limits: { maxBytes: number; timeoutMs: number }) {
  const allowPrivate = app.config.get<boolean>('brain.allowPrivateUrlSources', false)
  return fetchGuarded(url, { ...limits, allowPrivate })
}

/**
 * Fetches a web page (or a document behind a URL) and converts it. Every hop
 * of the fetch goes through the outbound address guard, so a tenant cannot
 * point the server at its own private network.
 */
export async function convertUrl(
  url: string,
  limits?: Partial<ConversionLimits> & { timeoutMs?: number }
): Promise<ConvertedDocument & { finalUrl: string }> {
  const resolved = resolveLimits(limits)
  const timeoutMs = limits?.timeoutMs ?? app.config.get<number>('brain.urlTimeoutMs', 15_000)
  const allowPrivate = app.config.get<boolean>('brain.allowPrivateUrlSources', false)
  const response = await fetchGuarded(url, {
    maxBytes: resolved.maxBytes,
    timeoutMs,
    allowPrivate,
  })
  const finalUrl = response.finalUrl
  const filename = new URL(finalUrl).pathname.split('/').pop() || 'download'

  switch (response.kind) {
    case 'html': {
      const html = htmlToMarkdown(
        decodeText(response.bytes, { html: true, charset: response.charset }),
        {
          baseUrl: finalUrl,
        }
      )
      return { ...finish(html.title ?? firstHeading(html.markdown), html.markdown, null), finalUrl }
    }
    case 'markdown': {
      const markdown = decodeText(response.bytes, { charset: response.charset })
      return { ...finish(firstHeading(markdown), markdown, null), finalUrl }
    }
    case 'text': {
      const text = decodeText(response.bytes, { charset: response.charset })
      return { ...finish(null, text, null), finalUrl }
    }
    case 'document': {
      const document = await convertFile(
        { bytes: response.bytes, filename, mimeType: response.mimeType },
        resolved
      )
      return { ...document, finalUrl }
    }
    default:
      throw new ConversionError(
        'not_html',
        'The address returned something that is not a web page or a document.',
        {
          contentType: response.mimeType,
          finalUrl,
        }
      )
  }
}

/** Pasted text: kept as written (it may already be Markdown), under its title. */
export function convertText(title: string, text: string): ConvertedDocument {
  return finish(title, String(text ?? ''), null)
}

/**
 * Question-and-answer pairs: each becomes a `## question` section, so a chunk
 * never mixes two answers and its heading path carries the question.
 */
export function convertFaq(
  title: string,
  pairs: { question: string; answer: string }[]
): ConvertedDocument {
  const sections = pairs
    .map((pair) => ({
      question: pair.question.replace(/\s+/g, ' ').trim(),
      answer: String(pair.answer ?? '').trim(),
    }))
    .filter((pair) => pair.question && pair.answer)
    .map((pair) => `## ${pair.question}\n\n${pair.answer}`)
  return finish(title, sections.join('\n\n'), null)
}
