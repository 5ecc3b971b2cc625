import { ConversionError } from './errors.js'

export type FileType = 'pdf' | 'docx' | 'html' | 'markdown' | 'text' | 'csv' | 'unsupported'

const EXTENSIONS: Record<string, FileType> = {
  pdf: 'pdf',
  docx: 'docx',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  md: 'markdown',
  markdown: 'markdown',
  txt: 'text',
  text: 'text',
  csv: 'csv',
}

const MIME_TYPES: Record<string, FileType> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/plain': 'text',
  'text/csv': 'csv',
  'application/csv': 'csv',
}

/**
 * Decides what a file is. The bytes are trusted before the name: a PDF saved
 * as .txt is still read as a PDF, and a file named .pdf or .docx that lacks
 * the format's structure is reported as damaged rather than parsed as
 * something else. Formats with no signature (Markdown, text, CSV) fall back to
 * the extension, then to the MIME type the browser sent.
 */
export async function sniffFileType(
  bytes: Buffer,
  filename: string,
  mimeType?: string | null
): Promise<FileType> {
  const extension = filename.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1] ?? ''
  const claimed =
    EXTENSIONS[extension] ?? MIME_TYPES[(mimeType ?? '').split(';')[0].trim().toLowerCase()]

  // The PDF header may follow a little junk; readers look in the first 1 KB.
  if (bytes.subarray(0, 1024).includes('%PDF-')) return 'pdf'

  if (isZip(bytes)) {
    if (zipHasEntry(bytes, 'word/document.xml')) return 'docx'
    if (claimed === 'docx') {
      throw new ConversionError(
        'corrupt',
        'The file is named as a Word document but has no document inside.'
      )
    }
    return 'unsupported'
  }
  if (isOfficeEncrypted(bytes)) {
    throw new ConversionError(
      'encrypted',
      'The document is protected with a password. Upload a copy without the password.'
    )
  }
  if (claimed === 'pdf') {
    throw new ConversionError(
      'corrupt',
      'The file is named as a PDF but is not one, or is damaged.'
    )
  }
  if (claimed === 'docx') {
    throw new ConversionError(
      'corrupt',
      'The file is named as a Word document but is not one, or is damaged.'
    )
  }
  if (hasBinarySignature(bytes) || looksBinary(bytes)) return 'unsupported'
  if (looksLikeHtml(bytes)) return 'html'
  return claimed ?? ((mimeType ?? '').startsWith('text/') ? 'text' : 'unsupported')
}

function isZip(bytes: Buffer) {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    bytes[2] === 0x03 &&
    bytes[3] === 0x04
  )
}

/**
 * ZIP keeps entry names uncompressed in each local header and in the central
 * directory, so the name can be found without unpacking the archive.
 */
function zipHasEntry(bytes: Buffer, name: string) {
  return bytes.includes(Buffer.from(name, 'latin1'))
}

/**
 * Office saves a password-protected .docx not as a ZIP but as an OLE
 * container holding an "EncryptedPackage" stream (MS-OFFCRYPTO); the stream
 * name sits in the container's directory in UTF-16.
 */
function isOfficeEncrypted(bytes: Buffer) {
  return (
    bytes.subarray(0, 8).toString('hex') === 'd0cf11e0a1b11ae1' &&
    bytes.includes(Buffer.from('EncryptedPackage', 'utf16le'))
  )
}

/** Old Word (.doc), images, archives: formats people upload by mistake. */
function hasBinarySignature(bytes: Buffer) {
  const head = bytes.subarray(0, 8).toString('hex')
  return (
    head.startsWith('d0cf11e0a1b11ae1') || // OLE: .doc, .xls, .ppt
    head.startsWith('89504e47') || // PNG
    head.startsWith('ffd8ff') || // JPEG
    head.startsWith('47494638') || // GIF
    head.startsWith('1f8b') || // gzip
    head.startsWith('7b5c727466') // RTF
  )
}

/** NUL bytes do not occur in text (UTF-16 files start with a BOM and are decoded). */
function looksBinary(bytes: Buffer) {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    return false
  return bytes.subarray(0, 8192).includes(0)
}

function looksLikeHtml(bytes: Buffer) {
  const head = bytes
    .subarray(0, 1024)
    .toString('utf8')
    .replace(/^\ufeff/, '')
    .replace(/^(\s|<!--[\s\S]*?-->|<\?xml[^>]*>)+/, '')
    .toLowerCase()
  return head.startsWith('<!doctype html') || head.startsWith('<html')
}
