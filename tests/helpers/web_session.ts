/**
 * A browser-like client for multi-request flows (sign in, then use the
 * session): real HTTP to the suite's server, a cookie jar, CSRF tokens read
 * from the pages, redirects not followed so tests can assert them.
 *
 * Japa's session plugin swaps in a session of its own on every request and
 * destroys it afterwards, which is right for single requests but cannot show
 * that a session survives from one request to the next.
 */
/** A form's fields: by name, or as pairs when a name repeats. */
export type FormFields = Record<string, string> | Array<[string, string]>

export class WebSession {
  readonly cookies = new Map<string, string>()
  #csrf: string | null = null

  constructor(private headers: Record<string, string> = {}) {}

  static baseUrl() {
    return `http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? 3333}`
  }

  cookie(name: string) {
    return this.cookies.get(name)
  }

  /** A page, or with headers e.g. an htmx fragment (`HX-Request`, `HX-Target`). */
  async get(path: string, headers: Record<string, string> = {}) {
    const response = await this.#fetch(path, { method: 'GET', headers })
    // A live stream (server-sent events) never ends: the status is the answer.
    const streaming = response.headers.get('content-type')?.startsWith('text/event-stream')
    if (streaming) await response.body?.cancel()
    const body = streaming ? '' : await response.text()
    const token = body.match(/name='_csrf' value='([^']+)'/)?.[1]
    if (token) this.#csrf = token
    return { status: response.status, location: response.headers.get('location'), body, response }
  }

  /**
   * Posts a form as the page at `from` would (its CSRF token included).
   * Fields given as pairs may repeat a name, as ticked checkboxes do.
   */
  async submit(from: string, action: string, fields: FormFields) {
    await this.get(from)
    return this.post(action, fields)
  }

  /**
   * Posts a form as htmx does from the page at `from` (HX-Request, plus any
   * other htmx headers such as HX-Target or HX-Boosted).
   */
  async htmxSubmit(
    from: string,
    action: string,
    fields: FormFields,
    headers: Record<string, string> = {}
  ) {
    await this.get(from)
    return this.post(action, fields, { 'HX-Request': 'true', ...headers })
  }

  async post(action: string, fields: FormFields, headers: Record<string, string> = {}) {
    const pairs = Array.isArray(fields) ? fields : Object.entries(fields)
    const form = new URLSearchParams([...pairs, ['_csrf', this.#csrf ?? '']])
    const response = await this.#fetch(action, {
      method: 'POST',
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    })
    const body = await response.text()
    return { status: response.status, location: response.headers.get('location'), body, response }
  }

  /** Posts JSON as a page's script does (fetch with the page's CSRF token in X-CSRF-TOKEN). */
  async postJson(action: string, json: unknown) {
    const response = await this.#fetch(action, {
      method: 'POST',
      body: JSON.stringify(json),
      headers: {
        'content-type': 'application/json',
        'accept': 'application/json',
        'x-csrf-token': this.#csrf ?? '',
      },
    })
    const body = await response.text()
    return { status: response.status, body, json: body.startsWith('{') ? JSON.parse(body) : null }
  }

  async #fetch(path: string, init: RequestInit) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const response = await fetch(`${WebSession.baseUrl()}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...this.headers, ...(init.headers as object), ...(cookie ? { cookie } : {}) },
    })
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      const expired = attributes.some((a) => /max-age=0\b|expires=thu, 01 jan 1970/i.test(a.trim()))
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }
}
