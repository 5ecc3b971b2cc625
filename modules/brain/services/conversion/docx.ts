import mammoth from 'mammoth'
import { ConversionError } from './errors.js'
import { htmlToMarkdown } from './html.js'

/**
 * A Word document through mammoth, which maps paragraph styles to HTML
 * (Heading 1 → h1, lists → ul/ol, tables → table), then through the same
 * HTML → Markdown path as web pages, taking the whole body: a document has
 * no navigation to drop.
 */
export async function convertDocx(bytes: Buffer): Promise<string> {
  let html: string
  try {
    const result = await mammoth.convertToHtml(
      { buffer: bytes },
      {
        // Images carry no text the brain can use; inlining them as data URIs
        // would only bloat the HTML.
        convertImage: mammoth.images.imgElement(async () => ({ src: '' })),
        // A document may link files by path; never let it read the server's disk.
        externalFileAccess: false,
        ignoreEmptyParagraphs: true,
      }
    )
    html = result.value
  } catch (error) {
    throw new ConversionError('corrupt', 'The Word document is damaged and cannot be read.', {
      reason: (error as Error)?.message?.slice(0, 200) ?? null,
    })
  }
  return htmlToMarkdown(html, { wholeBody: true }).markdown
}
