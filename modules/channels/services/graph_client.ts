import http from 'node:http'
import https from 'node:https'
import app from '@adonisjs/core/services/app'
import type Channel from '../models/channel.js'

/**
 * The WhatsApp Cloud API (Graph API) over HTTP. The base URL is
 * configuration (WHATSAPP_GRAPH_URL), so tests and the sandbox point it at a
 * local server speaking the same wire format.
 */
export function graphBaseUrl(): string {
  return app.config.get<string>('whatsapp.graphUrl').replace(/\/+$/, '')
}

export type SendResult =
  | { ok: true; wamid: string; waId: string | null }
  | {
      ok: false
      /**
       * Whether WhatsApp certainly did not take the message: an error answer,
       * or a connection that never opened. A timeout is not definite: the
       * message may have gone out.
       */
      definite: boolean
      retryable: boolean
      status: number | null
      code: number | null
      title: string
    }

/**
 * Errors worth another try: throughput limits (130429, 80007, 4), the
 * per-recipient pair limit (131056, which the retry backoff spaces out),
 * and WhatsApp's transient failures. Everything else (re-engagement 131047,
 * undeliverable 131026, template and parameter errors, expired tokens) will
 * fail the same way again.
 */
const RETRYABLE_CODES = new Set([1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004])

export function isRetryable(status: number | null, code: number | null) {
  if (code !== null && RETRYABLE_CODES.has(code)) return true
  return status === 429 || (status !== null && status >= 500)
}

/*
| Messages go over node:http(s) with a kept-alive agent of the process, not
| fetch: campaigns send up to 1,000 a second from one worker, and fetch's
| web streams, abort signals and URL handling were some 12% of the sending
| worker's CPU profile (bench:campaign). It also lets a sender act at the
| moment a request is written (beforeWrite).
*/
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 256 }),
}

type PostOutcome =
  { ok: true; status: number; text: string } | { ok: false; error: Error & { code?: string } }

/**
 * POSTs a JSON text; settles with the answer, or with the error that kept
 * one from coming. `beforeWrite` is awaited once the request has a
 * connected socket and before a byte of it is written: what it counts (a
 * sender's window) is then the moment the request leaves, not a moment
 * before a new connection was opened for it.
 */
function postJson(
  url: string,
  token: string,
  text: string,
  timeoutMs: number,
  beforeWrite?: () => Promise<boolean>
) {
  return new Promise<PostOutcome>((resolve) => {
    let settled = false
    const done = (outcome: PostOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(outcome)
    }
    const target = new URL(url)
    const transport = target.protocol === 'https:' ? https : http
    const request = transport.request(target, {
      method: 'POST',
      agent: agents[target.protocol as 'http:' | 'https:'],
      headers: {
        'authorization': `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      },
    })
    const timer = setTimeout(() => {
      const error = new Error(`No answer in ${timeoutMs} ms`)
      error.name = 'TimeoutError'
      request.destroy(error)
    }, timeoutMs)
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        done({ ok: true, status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() })
      )
      response.on('error', (error) => done({ ok: false, error }))
    })
    request.on('error', (error) => done({ ok: false, error }))
    if (!beforeWrite) {
      request.end(text)
      return
    }
    request.once('socket', (socket) => {
      const write = () => {
        if (settled) return
        beforeWrite().then(
          (go) => {
            if (go) return request.end(text)
            const error: Error & { code?: string } = new Error('Not written: the sender stopped')
            error.code = 'ENOTWRITTEN'
            request.destroy(error)
          },
          (error) => request.destroy(error)
        )
      }
      if (socket.connecting) socket.once('connect', write)
      else write()
    })
  })
}

export async function sendToGraph(
  channel: Pick<Channel, 'phoneNumberId' | 'accessToken'>,
  body: Record<string, unknown>,
  options: {
    timeoutMs?: number
    /**
     * Awaited with the connection open, just before the request is written
     * (see postJson); false and it is not written (a definite failure).
     */
    beforeWrite?: () => Promise<boolean>
  } = {}
): Promise<SendResult> {
  const answer = await postJson(
    `${graphBaseUrl()}/${channel.phoneNumberId}/messages`,
    channel.accessToken ?? '',
    JSON.stringify(body),
    options.timeoutMs ?? 15_000,
    options.beforeWrite
  )
  if (!answer.ok) {
    const cause = answer.error.code
    const neverConnected =
      cause === 'ECONNREFUSED' ||
      cause === 'ENOTFOUND' ||
      cause === 'EAI_AGAIN' ||
      cause === 'ENOTWRITTEN'
    return {
      ok: false,
      definite: neverConnected,
      retryable: true,
      status: null,
      code: null,
      title: neverConnected
        ? `WhatsApp could not be reached (${cause})`
        : `No answer from WhatsApp (${answer.error.name})`,
    }
  }
  let payload: any = null
  try {
    payload = JSON.parse(answer.text)
  } catch {}
  const ok = answer.status >= 200 && answer.status < 300
  const wamid = payload?.messages?.[0]?.id
  if (ok && typeof wamid === 'string') {
    return { ok: true, wamid, waId: payload?.contacts?.[0]?.wa_id ?? null }
  }
  const code = typeof payload?.error?.code === 'number' ? payload.error.code : null
  return {
    ok: false,
    // An answer without a message id means WhatsApp did not accept it.
    definite: true,
    retryable: isRetryable(answer.status, code),
    status: answer.status,
    code,
    title: String(
      payload?.error?.error_data?.details ?? payload?.error?.message ?? `HTTP ${answer.status}`
    ),
  }
}

export type GraphAnswer =
  | { ok: true; status: number; body: any }
  | { ok: false; status: number | null; code: number | null; title: string }

/**
 * Any other Graph API call (templates, media): JSON in, JSON out, errors
 * carrying WhatsApp's code and explanation.
 */
export async function graphJson(
  channel: Pick<Channel, 'accessToken'>,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  timeoutMs = 15_000
): Promise<GraphAnswer> {
  let response: Response
  try {
    response = await fetch(`${graphBaseUrl()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${channel.accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    return {
      ok: false,
      status: null,
      code: null,
      title: `WhatsApp could not be reached (${(error as Error).message})`,
    }
  }
  const payload = (await response.json().catch(() => null)) as any
  if (response.ok) return { ok: true, status: response.status, body: payload ?? {} }
  return {
    ok: false,
    status: response.status,
    code: typeof payload?.error?.code === 'number' ? payload.error.code : null,
    title: String(
      payload?.error?.error_user_msg ?? payload?.error?.message ?? `HTTP ${response.status}`
    ),
  }
}

export type UploadResult =
  | { ok: true; id: string }
  | { ok: false; retryable: boolean; status: number | null; code: number | null; title: string }

/**
 * Uploads a file to WhatsApp's media store for the number
 * (POST /<phone-number-id>/media, multipart: messaging_product, type, file)
 * and returns its media id, which a message then names instead of a link.
 * An upload that fails in doubt only leaves an unused file at WhatsApp
 * (it expires), so every failure without an answer is worth another try.
 */
export async function uploadMediaToGraph(
  channel: Pick<Channel, 'phoneNumberId' | 'accessToken'>,
  file: { bytes: Uint8Array; mimeType: string; filename: string },
  timeoutMs = 120_000
): Promise<UploadResult> {
  const form = new FormData()
  form.append('messaging_product', 'whatsapp')
  form.append('type', file.mimeType)
  form.append('file', new Blob([file.bytes], { type: file.mimeType }), file.filename)
  let response: Response
  try {
    response = await fetch(`${graphBaseUrl()}/${channel.phoneNumberId}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${channel.accessToken}` },
      body: form,
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    return {
      ok: false,
      retryable: true,
      status: null,
      code: null,
      title: `WhatsApp could not take the file (${(error as Error).message})`,
    }
  }
  const payload = (await response.json().catch(() => null)) as any
  if (response.ok && typeof payload?.id === 'string' && payload.id) {
    return { ok: true, id: payload.id }
  }
  const code = typeof payload?.error?.code === 'number' ? payload.error.code : null
  return {
    ok: false,
    retryable: isRetryable(response.status, code),
    status: response.status,
    code,
    title: String(
      payload?.error?.error_data?.details ??
        payload?.error?.message ??
        `Media upload refused (HTTP ${response.status})`
    ),
  }
}

export type SampleUploadResult = { ok: true; handle: string } | { ok: false; title: string }

/**
 * Uploads a template's header sample through Meta's Resumable Upload API and
 * returns the file handle a media header's example names. Two calls: POST
 * /<app-id>/uploads describes the file and opens a session ("upload:…",
 * which may carry its own query string), then POST /<session> with the bytes
 * from offset 0 (authorization "OAuth <token>", as that endpoint wants)
 * answers `{ h: <handle> }`. The app is the Meta app the number's access
 * token belongs to.
 */
export async function uploadTemplateSample(
  channel: Pick<Channel, 'accessToken'>,
  appId: string,
  file: { bytes: Uint8Array; mimeType: string; filename: string },
  timeoutMs = 120_000
): Promise<SampleUploadResult> {
  const query = new URLSearchParams({
    file_name: file.filename,
    file_length: String(file.bytes.byteLength),
    file_type: file.mimeType,
  })
  const session = await graphJson(channel, 'POST', `/${appId}/uploads?${query}`)
  if (!session.ok) return { ok: false, title: session.title }
  const sessionId = session.body?.id
  if (typeof sessionId !== 'string' || !sessionId.startsWith('upload:')) {
    return { ok: false, title: 'WhatsApp did not open an upload session' }
  }
  let response: Response
  try {
    response = await fetch(`${graphBaseUrl()}/${sessionId}`, {
      method: 'POST',
      headers: {
        'authorization': `OAuth ${channel.accessToken}`,
        'file_offset': '0',
        'content-type': 'application/octet-stream',
      },
      body: file.bytes,
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    return { ok: false, title: `WhatsApp could not take the file (${(error as Error).message})` }
  }
  const payload = (await response.json().catch(() => null)) as any
  if (response.ok && typeof payload?.h === 'string' && payload.h) {
    return { ok: true, handle: payload.h }
  }
  return {
    ok: false,
    title: String(
      payload?.error?.error_user_msg ??
        payload?.error?.message ??
        `The sample was refused (HTTP ${response.status})`
    ),
  }
}
