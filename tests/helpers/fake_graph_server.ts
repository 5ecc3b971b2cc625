import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createHash, createHmac, randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'
import type { Group } from '@japa/runner/core'
import { closeServer, patientServer } from '#tests/helpers/local_http'

export interface GraphCall {
  /** When the request arrived (ms since the epoch). */
  at: number
  method: string
  path: string
  authorization: string | undefined
  body: any
}

/** A file uploaded to POST /<phone-number-id>/media, as the fake received it. */
export interface GraphUpload {
  id: string
  phoneNumberId: string
  messagingProduct: string | null
  /** The `type` field: the file's MIME type. */
  type: string | null
  filename: string | null
  /** The file part's own content type. */
  partType: string | null
  bytes: Buffer
}

/** A template header sample uploaded through the Resumable Upload API, as the fake received it. */
export interface GraphSampleUpload {
  appId: string
  fileName: string
  fileType: string
  /** The handle answered, which a template's header_handle names. */
  handle: string
  bytes: Buffer
}

/** A scripted answer: an HTTP status and a JSON body, or a dropped connection. */
export type GraphReply = { status: number; body: unknown } | { drop: true }

/**
 * A local stand-in for the WhatsApp Cloud API (Graph API), speaking its wire
 * format: POST /<version>/<phone-number-id>/messages answers
 * {messaging_product, contacts:[{input, wa_id}], messages:[{id}]}, errors are
 * {error:{message, type, code, error_data, fbtrace_id}}. Tests script replies
 * with `reply()`/`fail()`; unscripted sends succeed with a fresh wamid.
 */
export class FakeGraphServer {
  readonly calls: GraphCall[] = []
  #server: Server | null = null
  #script: GraphReply[] = []
  #tokens = new Set<string>()
  /** Each WhatsApp Business Account's templates, as the Graph API lists them. */
  readonly templates = new Map<string, Array<Record<string, any>>>()
  /** Media WhatsApp holds, by media id: GET /<id> describes it, its url serves the bytes. */
  readonly media = new Map<string, { bytes: Buffer; mimeType: string; sha256?: string }>()
  /** Files uploaded to the media endpoint, in order. */
  readonly uploads: GraphUpload[] = []
  /** Template samples uploaded through the Resumable Upload API, in order. */
  readonly sampleUploads: GraphSampleUpload[] = []
  #sessions = new Map<
    string,
    { appId: string; fileName: string; fileType: string; length: number }
  >()

  get url() {
    const { port } = this.#server!.address() as AddressInfo
    return `http://127.0.0.1:${port}/v21.0`
  }

  /** Access tokens the server accepts; an empty set accepts any. */
  acceptToken(token: string) {
    this.#tokens.add(token)
    return this
  }

  #byRecipient = new Map<string, GraphReply[]>()

  /**
   * Scripted answers for sends to one number (`to`, digits), in order;
   * once they are used up that number's sends succeed. Order-proof where
   * several sends run at once.
   */
  replyTo(to: string, ...replies: GraphReply[]) {
    const key = to.replace(/\D/g, '')
    this.#byRecipient.set(key, [...(this.#byRecipient.get(key) ?? []), ...replies])
    return this
  }

  /** A Graph error for the next `times` sends to the number, e.g. failTo(phone, 400, 131049). */
  failTo(to: string, status: number, code: number, message = 'Graph error', times = 1) {
    const reply = { status, body: graphErrorBody(code, message) }
    return this.replyTo(to, ...Array.from({ length: times }, () => reply))
  }

  reply(...replies: GraphReply[]) {
    this.#script.push(...replies)
    return this
  }

  /** Queues a Graph error, e.g. fail(400, 131047, 'Re-engagement message'). */
  fail(status: number, code: number, message = 'Graph error') {
    return this.reply({ status, body: graphErrorBody(code, message) })
  }

  /** Media uploads (POST /<phone-number-id>/media). */
  mediaUploads() {
    return this.calls.filter((call) => call.method === 'POST' && /\/\d+\/media$/.test(call.path))
  }

  sends() {
    return this.calls.filter((call) => call.method === 'POST' && call.path.endsWith('/messages'))
  }

  async start() {
    this.#server = patientServer(
      createServer(async (request, response) => {
        // When the request's head arrived, not when its body was read: the
        // rate benches count arrivals per second, and reading is our own delay.
        const arrivedAt = Date.now()
        const raw = await readBody(request)
        const multipart = /^multipart\/form-data/i.test(request.headers['content-type'] ?? '')
        const form = multipart ? await parseMultipart(raw, request.headers['content-type']!) : null
        const body = form ? form.fields : parseBody(raw)
        const path = new URL(request.url ?? '/', 'http://x').pathname
        const call: GraphCall = {
          at: arrivedAt,
          method: request.method ?? 'GET',
          path,
          authorization: request.headers.authorization,
          body,
        }
        this.calls.push(call)

        // The Resumable Upload API's second call says "OAuth <token>".
        const token = call.authorization?.replace(/^(Bearer|OAuth) /, '')
        if (this.#tokens.size && (!token || !this.#tokens.has(token))) {
          return send(response, 401, graphError(190, 'Invalid OAuth access token'))
        }
        const recipient = String(body?.to ?? '').replace(/\D/g, '')
        const forRecipient =
          path.endsWith('/messages') && recipient
            ? this.#byRecipient.get(recipient)?.shift()
            : undefined
        const scripted = forRecipient ?? this.#script.shift()
        if (scripted && 'drop' in scripted) return request.socket.destroy()
        if (scripted) return send(response, scripted.status, scripted.body)

        const file = path.match(/^\/v[\d.]+\/media-files\/(\w+)$/)
        if (file && call.method === 'GET') {
          const found = this.media.get(file[1])
          if (!found) return send(response, 404, graphError(100, 'Media not found'))
          response.writeHead(200, { 'content-type': found.mimeType }).end(found.bytes)
          return
        }
        const mediaId = path.match(/^\/v[\d.]+\/(\d+)$/)
        if (mediaId && call.method === 'GET') {
          const found = this.media.get(mediaId[1])
          if (!found) return send(response, 400, graphError(100, 'Unsupported get request'))
          return send(response, 200, {
            messaging_product: 'whatsapp',
            url: `${this.url}/media-files/${mediaId[1]}`,
            mime_type: found.mimeType,
            sha256: found.sha256 ?? createHash('sha256').update(found.bytes).digest('hex'),
            file_size: found.bytes.length,
            id: mediaId[1],
          })
        }

        const session = path.match(/^\/v[\d.]+\/(\d+)\/uploads$/)
        if (session && call.method === 'POST')
          return this.#openSession(session[1], request, response)
        const sample = path.match(/^\/v[\d.]+\/(upload:\w+)$/)
        if (sample && call.method === 'POST') {
          return this.#uploadSample(sample[1], request, raw, response)
        }

        const upload = path.match(/^\/v[\d.]+\/(\d+)\/media$/)
        if (upload && call.method === 'POST') return this.#upload(upload[1], form, response)

        const templates = path.match(/^\/v[\d.]+\/(\d+)\/message_templates$/)
        if (templates) return this.#templates(call, templates[1], request, response)

        const match = path.match(/^\/v[\d.]+\/(\d+)\/messages$/)
        if (call.method === 'POST' && match) {
          const invalid = invalidInteractive(body)
          if (invalid) return send(response, 400, graphError(131009, invalid))
          const wamid = `wamid.${randomBytes(12).toString('base64url')}`
          this.#reportSent(match[1], wamid, body)
          return send(response, 200, {
            messaging_product: 'whatsapp',
            contacts: [{ input: body?.to, wa_id: String(body?.to ?? '').replace(/\D/g, '') }],
            messages: [{ id: wamid }],
          })
        }
        send(response, 404, graphError(100, `Unknown path components: ${path}`))
      })
    )
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    return this
  }

  /**
   * Graph's media upload: multipart with messaging_product=whatsapp, type
   * (the MIME type) and the file; answers {id}. The file is then held like
   * any WhatsApp media (GET /<id> describes it).
   */
  #upload(
    phoneNumberId: string,
    form: Awaited<ReturnType<typeof parseMultipart>> | null,
    response: import('node:http').ServerResponse
  ) {
    if (!form?.file) {
      return send(response, 400, graphError(100, 'The parameter file is required.'))
    }
    if (form.fields.messaging_product !== 'whatsapp') {
      return send(response, 400, graphError(100, 'The parameter messaging_product is required.'))
    }
    if (!form.fields.type) {
      return send(response, 400, graphError(100, 'The parameter type is required.'))
    }
    const id = String(2e15 + this.uploads.length + Math.floor(Math.random() * 1e6))
    this.uploads.push({
      id,
      phoneNumberId,
      messagingProduct: form.fields.messaging_product ?? null,
      type: form.fields.type ?? null,
      filename: form.file.filename,
      partType: form.file.type,
      bytes: form.file.bytes,
    })
    this.media.set(id, { bytes: form.file.bytes, mimeType: form.fields.type })
    return send(response, 200, { id })
  }

  /** POST /<app-id>/uploads?file_name&file_length&file_type: a session id, signed like Meta's. */
  #openSession(
    appId: string,
    request: IncomingMessage,
    response: import('node:http').ServerResponse
  ) {
    const query = new URL(request.url ?? '/', 'http://x').searchParams
    const length = Number(query.get('file_length'))
    const fileType = query.get('file_type') ?? ''
    if (!Number.isInteger(length) || length <= 0) {
      return send(response, 400, graphError(100, 'The parameter file_length is required.'))
    }
    if (
      !['application/pdf', 'image/jpeg', 'image/jpg', 'image/png', 'video/mp4'].includes(fileType)
    ) {
      return send(response, 400, graphError(100, 'Invalid file_type.'))
    }
    const id = `upload:${randomBytes(12).toString('hex')}`
    this.#sessions.set(id, { appId, fileName: query.get('file_name') ?? '', fileType, length })
    return send(response, 200, { id: `${id}?sig=${randomBytes(8).toString('hex')}` })
  }

  /** POST /upload:<session> with file_offset 0 and the bytes: the file handle. */
  #uploadSample(
    sessionId: string,
    request: IncomingMessage,
    bytes: Buffer,
    response: import('node:http').ServerResponse
  ) {
    const session = this.#sessions.get(sessionId)
    const query = new URL(request.url ?? '/', 'http://x').searchParams
    if (!session || !query.get('sig')) {
      return send(response, 400, graphError(100, 'Invalid upload session'))
    }
    if (!/^OAuth /.test(request.headers.authorization ?? '')) {
      return send(response, 401, graphError(190, 'The upload takes an OAuth authorization'))
    }
    if (request.headers.file_offset !== '0' || bytes.length !== session.length) {
      return send(response, 400, graphError(100, 'The file does not match its session'))
    }
    const handle = `4::${Buffer.from(`${session.fileType}:${randomBytes(6).toString('hex')}`).toString('base64')}`
    this.sampleUploads.push({ ...session, handle, bytes })
    this.#sessions.delete(sessionId)
    return send(response, 200, { h: handle })
  }

  /** GET pages by cursor like the Graph API; POST adds a PENDING template. */
  #templates(
    call: GraphCall,
    waba: string,
    request: IncomingMessage,
    response: import('node:http').ServerResponse
  ) {
    const list = this.templates.get(waba) ?? []
    this.templates.set(waba, list)
    if (call.method === 'POST') {
      const created = {
        id: String(1e15 + list.length),
        status: 'PENDING',
        category: call.body.category,
      }
      list.push({ ...call.body, ...created })
      return send(response, 200, created)
    }
    const query = new URL(request.url ?? '/', 'http://x').searchParams
    const limit = Number(query.get('limit') ?? 25)
    const start = Number(query.get('after') ?? 0)
    const page = list.slice(start, start + limit)
    const more = start + limit < list.length
    return send(response, 200, {
      data: page,
      paging: {
        cursors: { before: String(start), after: String(start + page.length) },
        ...(more
          ? { next: `${this.url}/${waba}/message_templates?after=${start + page.length}` }
          : {}),
      },
    })
  }

  #reports: { url: string; appSecret: string; everyMs: number } | null = null
  #statusQueue = new Map<string, Array<Record<string, unknown>>>()
  #statusTimer: NodeJS.Timeout | null = null
  /** Status webhooks posted (each a batch), for tests to wait on. */
  statusPosts = 0

  /**
   * As WhatsApp does: every message it takes is reported as `sent` by a
   * status webhook to `url` (signed with `appSecret`), carrying the send's
   * recipient and its biz_opaque_callback_data; statuses gathered over
   * `everyMs` go in one POST, as Meta batches them.
   */
  reportStatuses(url: string, appSecret: string, everyMs = 250) {
    this.#reports = { url, appSecret, everyMs }
    this.#statusTimer ??= setInterval(() => void this.flushStatuses(), everyMs)
    this.#statusTimer.unref()
  }

  #reportSent(phoneNumberId: string, wamid: string, body: any) {
    if (!this.#reports) return
    const list = this.#statusQueue.get(phoneNumberId) ?? []
    list.push({
      id: wamid,
      status: 'sent',
      timestamp: String(Math.floor(Date.now() / 1000)),
      recipient_id: String(body?.to ?? '').replace(/\D/g, ''),
      ...(body?.biz_opaque_callback_data
        ? { biz_opaque_callback_data: body.biz_opaque_callback_data }
        : {}),
    })
    this.#statusQueue.set(phoneNumberId, list)
  }

  /** Posts the statuses gathered so far (one webhook per number). */
  async flushStatuses() {
    if (!this.#reports) return
    const { url, appSecret } = this.#reports
    const batches = [...this.#statusQueue]
    this.#statusQueue.clear()
    for (const [phoneNumberId, statuses] of batches) {
      const text = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'fake-waba',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550001234', phone_number_id: phoneNumberId },
                  statuses,
                },
              },
            ],
          },
        ],
      })
      const signature = `sha256=${createHmac('sha256', appSecret).update(text).digest('hex')}`
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        body: text,
      }).catch(() => {})
      this.statusPosts++
    }
  }

  async stop() {
    if (this.#statusTimer) clearInterval(this.#statusTimer)
    this.#statusTimer = null
    this.#reports = null
    await closeServer(this.#server)
  }
}

function graphError(code: number, message: string) {
  return { error: { message, type: 'OAuthException', code, fbtrace_id: 'fake' } }
}

function send(response: import('node:http').ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json' }).end(text)
}

async function readBody(request: IncomingMessage) {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function parseBody(raw: Buffer) {
  const text = raw.toString('utf8')
  try {
    return text ? JSON.parse(text) : null
  } catch {
    return text
  }
}

/** A multipart/form-data body's text fields and its (one) file, as Graph reads them. */
async function parseMultipart(raw: Buffer, contentType: string) {
  const data = await new Response(raw, { headers: { 'content-type': contentType } }).formData()
  const fields: Record<string, string> = {}
  let file: { filename: string | null; type: string | null; bytes: Buffer } | null = null
  for (const [name, value] of data.entries()) {
    if (typeof value === 'string') fields[name] = value
    else if (name === 'file') {
      file = {
        filename: (value as File).name ?? null,
        type: value.type || null,
        bytes: Buffer.from(await value.arrayBuffer()),
      }
    }
  }
  return { fields, file }
}

/**
 * A FakeGraphServer for a test group: started before its tests, with the
 * app's WHATSAPP_GRAPH_URL pointed at it, both undone afterwards.
 */
export function useFakeGraph(group: Group, options: { token?: string } = {}) {
  const graph = new FakeGraphServer()
  group.setup(async () => {
    if (options.token) graph.acceptToken(options.token)
    await graph.start()
    const previousUrl = app.config.get<string>('whatsapp.graphUrl')
    app.config.set('whatsapp.graphUrl', graph.url)
    return async () => {
      app.config.set('whatsapp.graphUrl', previousUrl)
      await graph.stop()
    }
  })
  return graph
}

/**
 * What Meta refuses in an interactive list or button message (error 131009,
 * "Parameter value is not valid"), by its documented limits: a body of at
 * most 1024 characters; a list's button of 1 to 20, 1 to 10 sections with
 * 10 rows in all, section titles of at most 24 (required with several
 * sections), row ids unique and at most 200, row titles 1 to 24 and
 * descriptions at most 72; 1 to 3 reply buttons of at most 20; a CTA URL
 * button (cta_url) named 1 to 20 characters with its url. Null when the
 * message is fine or not interactive.
 */
export function invalidInteractive(body: any): string | null {
  if (body?.type !== 'interactive') return null
  const interactive = body.interactive
  const length = (value: unknown) => [...String(value ?? '')].length
  if (!interactive || typeof interactive !== 'object') return 'interactive is required'
  if (!['list', 'button', 'cta_url'].includes(interactive.type)) return null
  const text = interactive.body?.text
  if (!length(text) || length(text) > 1024) return 'body.text must have 1 to 1024 characters'
  const action = interactive.action ?? {}
  if (interactive.type === 'cta_url') {
    if (action.name !== 'cta_url') return 'action.name must be cta_url'
    const label = action.parameters?.display_text
    if (!length(label) || length(label) > 20) {
      return 'action.parameters.display_text must have 1 to 20 characters'
    }
    if (!/^https?:\/\/\S+$/.test(String(action.parameters?.url ?? ''))) {
      return 'action.parameters.url must be a URL'
    }
    return null
  }
  if (interactive.type === 'button') {
    const buttons = Array.isArray(action.buttons) ? action.buttons : []
    if (buttons.length < 1 || buttons.length > 3) return 'action.buttons must have 1 to 3 items'
    for (const button of buttons) {
      if (!length(button?.reply?.title) || length(button?.reply?.title) > 20) {
        return 'button titles must have 1 to 20 characters'
      }
    }
    return null
  }
  if (!length(action.button) || length(action.button) > 20) {
    return 'action.button must have 1 to 20 characters'
  }
  const sections = Array.isArray(action.sections) ? action.sections : []
  if (sections.length < 1 || sections.length > 10) return 'action.sections must have 1 to 10 items'
  const rows = sections.flatMap((section: any) =>
    Array.isArray(section?.rows) ? section.rows : []
  )
  if (rows.length < 1 || rows.length > 10) return 'a list has 1 to 10 rows in all its sections'
  for (const section of sections) {
    if (sections.length > 1 && !length(section?.title)) {
      return 'each section needs a title when there are several'
    }
    if (length(section?.title) > 24) return 'section titles have at most 24 characters'
  }
  const ids = new Set<string>()
  for (const row of rows) {
    if (!length(row?.id) || length(row?.id) > 200) return 'row ids have 1 to 200 characters'
    if (ids.has(String(row.id))) return 'row ids must be unique'
    ids.add(String(row.id))
    if (!length(row?.title) || length(row?.title) > 24) {
      return 'row titles have 1 to 24 characters'
    }
    if (length(row?.description) > 72) return 'row descriptions have at most 72 characters'
  }
  return null
}

/** A Graph API error body as WhatsApp answers it. */
function graphErrorBody(code: number, message: string) {
  return {
    error: {
      message: `(#${code}) ${message}`,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details: message },
      fbtrace_id: randomBytes(8).toString('hex'),
    },
  }
}
