import { PDFParse } from 'pdf-parse'

/*
| A quote PDF's text, page by page (pdf-parse over pdfjs, in process, no
| network). Lines are kept; Arabic comes back in reading order.
*/

export class QuotePdfError extends Error {
  constructor(
    public code: 'not_pdf' | 'unreadable' | 'no_text' | 'too_many_pages',
    message: string
  ) {
    super(message)
  }
}

export const MAX_QUOTE_PAGES = 40

export async function quotePdfPages(bytes: Buffer): Promise<string[]> {
  if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
    throw new QuotePdfError('not_pdf', 'Not a PDF file')
  }
  const parser = new PDFParse({ data: new Uint8Array(bytes), verbosity: 0 })
  try {
    const info = await parser.getInfo()
    if (info.total > MAX_QUOTE_PAGES) {
      throw new QuotePdfError('too_many_pages', `More than ${MAX_QUOTE_PAGES} pages`)
    }
    const text = await parser.getText({ lineEnforce: true })
    const pages = text.pages.map((page) => page.text)
    if (!pages.some((page) => /[\p{L}\p{N}]/u.test(page))) {
      throw new QuotePdfError('no_text', 'The PDF has no text layer (a scanned image?)')
    }
    return pages
  } catch (error) {
    if (error instanceof QuotePdfError) throw error
    throw new QuotePdfError('unreadable', 'The PDF could not be read')
  } finally {
    await parser.destroy().catch(() => {})
  }
}
