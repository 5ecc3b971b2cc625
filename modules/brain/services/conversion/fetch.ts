import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import zlib from 'node:zlib'
import { assertPublicTarget, BlockedAddressError, guardedLookup } from '#app/net/outbound_guard'
import { ConversionError } from './errors.js'
import { charsetFromContentType } from './charset.js'

/** Redirects followed before giving up: enough for http→https→www→page. */
const MAX_REDIRECTS = 5

export type FetchedKind = 'html' | 'markdown' | 'text' | 'document'

export interface FetchedPage {
  finalUrl: string
  kind: FetchedKind
  bytes: Buffer
  mimeType: string | null
  charset: string | null
}

/** Content types read as documents (convertFile sniffs the bytes again). */
const DOCUMENT_TYPES = new Set([
  'application/pdf',
  'application/x-pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/octet-stream',
  'text/csv',
  'application/csv',
])

function kindOf(mimeType: string | null): FetchedKind | null {
  if (!mimeType) return 'html' // no type: sniffed as a page, like a browser
  if (mimeType === 'text/html' || mimeType === 'application/xhtml+xml') return 'html'
  if (mimeType === 'text/markdown' || mimeType === 'text/x-markdown') return 'markdown'
  if (mimeType === 'text/plain') return 'text'
  if (DOCUMENT_TYPES.has(mimeType)) return 'document'
  return null
}

/**
 * GETs a URL the way a careful crawler does: every hop (the first and each
 * redirect) checked by the outbound guard before connecting and again at
 * connect time, one time limit for the whole fetch, and the body counted as
 * it streams (after decompression, so a small gzip bomb cannot get past the
 * limit). The content type is judged from the headers, before the body is read.
 */
export async function fetchGuarded(
  address: string,
  options: { maxBytes: number; timeoutMs: number; allowPrivate: boolean }
): Promise<FetchedPage> {
  let url: URL
  try {
    url = new URL(address)
  } catch {
    throw new ConversionError('fetch_failed', 'The address is not a valid URL.', { url: address })
  }

  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), options.timeoutMs)
  try {
    for (let hop = 0; ; hop++) {
      await guard(url, options.allowPrivate)
      const response = await request(url, controller.signal, options.allowPrivate)
      const status = response.statusCode ?? 0
      const location = response.headers.location
      if (status >= 300 && status < 400 && location) {
        response.destroy()
        if (hop >= MAX_REDIRECTS) {
          throw new ConversionError('fetch_failed', 'The address redirects too many times.', {
            redirects: hop + 1,
            url: url.toString(),
          })
        }
        url = new URL(location, url)
        continue
      }
      if (status < 200 || status >= 300) {
        response.destroy()
        throw new ConversionError('fetch_failed', `The site answered with HTTP status ${status}.`, {
          status,
          url: url.toString(),
        })
      }

      const contentType = String(response.headers['content-type'] ?? '') || null
      const mimeType = contentType ? contentType.split(';')[0].trim().toLowerCase() : null
      const kind = kindOf(mimeType)
      if (!kind) {
        response.destroy()
        throw new ConversionError('not_html', 'The address is not a web page or a document.', {
          contentType: mimeType,
          url: url.toString(),
        })
      }
      const declared = Number(response.headers['content-length'])
      if (
        Number.isFinite(declared) &&
        declared > options.maxBytes &&
        !response.headers['content-encoding']
      ) {
        response.destroy()
        throw tooLarge(declared, options.maxBytes)
      }
      const bytes = await readBody(response, options.maxBytes)
      return {
        finalUrl: url.toString(),
        kind,
        bytes,
        mimeType,
        charset: charsetFromContentType(contentType),
      }
    }
  } catch (error) {
    if (error instanceof ConversionError) throw error
    if (error instanceof BlockedAddressError) {
      throw new ConversionError('blocked_address', error.message, {
        reason: error.reason,
        url: url.toString(),
      })
    }
    if (controller.signal.aborted) {
      throw new ConversionError('timeout', 'The site took too long to answer.', {
        timeoutMs: options.timeoutMs,
        url: url.toString(),
      })
    }
    throw new ConversionError('fetch_failed', 'The site could not be reached.', {
      reason:
        (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message?.slice(0, 200) ?? null,
      url: url.toString(),
    })
  } finally {
    clearTimeout(timer)
  }
}

async function guard(url: URL, allowPrivate: boolean) {
  await assertPublicTarget(url, { allowPrivate })
}

function request(url: URL, signal: AbortSignal, allowPrivate: boolean): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: 'GET',
      signal,
      lookup: guardedLookup({ allowPrivate }),
      headers: {
        'user-agent': 'FloMastrBot/1.0 (+business knowledge import)',
        'accept':
          'text/html,application/xhtml+xml,text/markdown,text/plain;q=0.9,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document;q=0.8,*/*;q=0.5',
        'accept-encoding': 'gzip, deflate, br',
      },
    })
    req.on('response', resolve)
    req.on('error', reject)
    req.end()
  })
}

function tooLarge(bytes: number | null, maxBytes: number) {
  return new ConversionError('too_large', 'The page or file is larger than the limit.', {
    bytes,
    maxBytes,
  })
}

/** The body, decompressed, refused as soon as it passes the limit. */
function readBody(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = String(response.headers['content-encoding'] ?? '')
    .toLowerCase()
    .trim()
  let stream: NodeJS.ReadableStream = response
  if (encoding === 'gzip' || encoding === 'x-gzip') stream = response.pipe(zlib.createGunzip())
  else if (encoding === 'deflate') stream = response.pipe(zlib.createInflate())
  else if (encoding === 'br') stream = response.pipe(zlib.createBrotliDecompress())

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    let settled = false
    // The first reason wins: destroying the response fires its own errors.
    const fail = (error: unknown) => {
      if (settled) return
      settled = true
      reject(error)
      response.destroy()
    }
    stream.on('data', (chunk: Buffer) => {
      if (settled) return
      total += chunk.length
      if (total > maxBytes) {
        fail(tooLarge(null, maxBytes))
        return
      }
      chunks.push(chunk)
    })
    stream.on('end', () => {
      if (settled) return
      settled = true
      resolve(Buffer.concat(chunks))
    })
    stream.on('error', fail)
    response.on('error', fail)
    response.on('aborted', () =>
      fail(new Error('The connection closed before the page was complete.'))
    )
  })
}
