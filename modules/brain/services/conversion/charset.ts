/**
 * Bytes to text. UTF-8 unless a BOM, the HTTP header's charset or (for HTML)
 * a <meta charset> says otherwise; Arabic sites still serve windows-1256.
 * Node's TextDecoder (full ICU since Node 13) knows the WHATWG encodings.
 */
export function decodeText(
  bytes: Buffer,
  options: { html?: boolean; charset?: string | null } = {}
): string {
  // A byte-order mark beats any declaration (the WHATWG encoding rule).
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return decode(bytes.subarray(3), 'utf-8')
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decode(bytes.subarray(2), 'utf-16le')
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decode(bytes.subarray(2), 'utf-16be')

  let charset = options.charset ?? null
  if (!charset && options.html) charset = metaCharset(bytes)
  return decode(bytes, charset ?? 'utf-8')
}

/** The charset a page declares in its first kilobytes, read as ASCII. */
function metaCharset(bytes: Buffer): string | null {
  const head = bytes.subarray(0, 4096).toString('latin1')
  const direct = head.match(/<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)/i)
  return direct ? direct[1] : null
}

function decode(bytes: Buffer, charset: string): string {
  let decoder: InstanceType<typeof TextDecoder>
  try {
    decoder = new TextDecoder(charset.trim().toLowerCase())
  } catch {
    // An unknown label: UTF-8 is what browsers fall back to on the modern web.
    decoder = new TextDecoder('utf-8')
  }
  return decoder.decode(bytes)
}

/** The charset parameter of a Content-Type header. */
export function charsetFromContentType(contentType: string | null): string | null {
  const match = contentType?.match(/charset\s*=\s*"?([^";\s]+)"?/i)
  return match ? match[1] : null
}
