import type { HttpContext } from '@adonisjs/core/http'
import drive from '@adonisjs/drive/services/main'

/*
| Files from storage sent to a browser (a customer's media, a knowledge
| source's original): never one of our pages, never run, named safely.
*/

/**
 * `inline` or `attachment` with the file's name: an ASCII fallback for old
 * clients and the exact name percent-encoded (RFC 6266 / 5987), so quotes,
 * line breaks or Arabic in a file name cannot break the header.
 */
export function contentDisposition(download: boolean, filename: string) {
  const ascii = filename
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .replace(/["\\;]/g, '')
    .trim()
  // "وثيقة.pdf" keeps its extension: "file.pdf".
  const fallback = !ascii ? 'file' : ascii.startsWith('.') ? `file${ascii}` : ascii
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`
  )
  return `${download ? 'attachment' : 'inline'}; filename="${fallback}"; filename*=UTF-8''${encoded}`
}

export interface StoredFileResponse {
  /** The file's key in the default disk. */
  key: string
  contentType: string
  filename: string
  download: boolean
  cacheControl: string
  /**
   * A sandbox policy: the file can be opened but nothing in it runs. Left
   * off only for PDFs shown inline, which browsers' viewers refuse to show
   * sandboxed.
   */
  sandbox: boolean
}

/** Streams a stored file with the headers above; false when it is not in storage. */
export async function streamStoredFile(ctx: HttpContext, file: StoredFileResponse) {
  const disk = drive.use()
  if (!(await disk.exists(file.key))) return false
  const { contentLength } = await disk.getMetaData(file.key)
  const { response } = ctx
  response.header('Content-Type', file.contentType)
  response.header('Content-Length', String(contentLength))
  response.header('Cache-Control', file.cacheControl)
  response.header('X-Content-Type-Options', 'nosniff')
  response.header('Content-Disposition', contentDisposition(file.download, file.filename))
  if (file.sandbox) response.header('Content-Security-Policy', "default-src 'none'; sandbox")
  response.stream(await disk.getStream(file.key))
  return true
}
