import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import drive from '@adonisjs/drive/services/main'
import logger from '@adonisjs/core/services/logger'
import { PDFParse } from 'pdf-parse'
import type { TenantContext } from '#modules/tenancy/index'
import { documentBytes, documentKey } from './document_files.js'

/*
| A task's document shown inline: its first pages as PNG images, rendered
| in process (pdfjs through pdf-parse, drawn on @napi-rs/canvas; both
| already pdf-parse's own dependencies) when the document is stored, kept
| beside the PDF in the tenant's storage, and rendered on first view for a
| document stored before that. A page that cannot be drawn is logged and
| the task shows the link to the PDF instead.
*/

/** How many leading pages a document component shows. */
export const PAGE_IMAGE_COUNT = 3
/** Rendered width in pixels: sharp on a phone, light on the page. */
const PAGE_IMAGE_WIDTH = 900

/** pdfjs' own metrics for the 14 standard PDF fonts (a PDF that names Helvetica without embedding it). */
const standardFontDataUrl = (() => {
  try {
    const require = createRequire(import.meta.url)
    const root = dirname(require.resolve('pdfjs-dist/package.json'))
    return pathToFileURL(join(root, 'standard_fonts') + '/').href
  } catch {
    return undefined
  }
})()

export function pageImageCount(pages: number | null | undefined) {
  return Math.max(0, Math.min(PAGE_IMAGE_COUNT, pages ?? 0))
}

export function pageImageKey(tenant: Pick<TenantContext, 'id'>, documentId: string, page: number) {
  return documentKey(tenant, documentId).replace(/\.pdf$/, `/page-${page}.png`)
}

/** PNGs of the PDF's first `count` pages; an empty list when it cannot be drawn. */
export async function renderPageImages(bytes: Buffer, count = PAGE_IMAGE_COUNT) {
  if (count < 1) return []
  const parser = new PDFParse({
    data: new Uint8Array(bytes),
    verbosity: 0,
    ...(standardFontDataUrl ? { standardFontDataUrl } : {}),
  })
  try {
    const shot = await parser.getScreenshot({
      first: count,
      desiredWidth: PAGE_IMAGE_WIDTH,
      imageDataUrl: false,
      imageBuffer: true,
    })
    return shot.pages.map((page) => Buffer.from(page.data))
  } catch (error) {
    logger.warn({ err: error }, 'document pages could not be drawn')
    return []
  } finally {
    await parser.destroy().catch(() => {})
  }
}

/** Draws and stores a stored document's first pages; answers how many were stored. */
export async function storePageImages(tenant: TenantContext, documentId: string, pdf: Buffer) {
  const images = await renderPageImages(pdf)
  for (const [i, png] of images.entries()) {
    await drive.use().put(pageImageKey(tenant, documentId, i + 1), png)
  }
  return images.length
}

/**
 * One page's PNG for a task's document: the stored one, else drawn now
 * from the PDF (and kept). Null when the page is not among the first
 * pages shown, or cannot be drawn.
 */
export async function pageImage(
  tenant: TenantContext,
  doc: { id: string; pages: number | null; storage_key: string | null; bytes: Buffer | null },
  page: number
) {
  if (!Number.isInteger(page) || page < 1 || page > pageImageCount(doc.pages)) return null
  const key = pageImageKey(tenant, doc.id, page)
  const disk = drive.use()
  if (await disk.exists(key)) return Buffer.from(await disk.getBytes(key))
  const pdf = await documentBytes(tenant, doc)
  if (!pdf) return null
  const images = await renderPageImages(pdf, pageImageCount(doc.pages))
  for (const [i, png] of images.entries()) {
    await disk.put(pageImageKey(tenant, doc.id, i + 1), png)
  }
  return images[page - 1] ?? null
}
