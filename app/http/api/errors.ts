import type { HttpContext } from '@adonisjs/core/http'
import router from '@adonisjs/core/services/router'
import { Exception } from '@adonisjs/core/exceptions'
import { internalErrorBody } from '#app/http/internal_error'

export type FieldErrors = Record<string, string[]>

/**
 * An answer the REST API gives on purpose: a status, a stable code clients
 * can branch on, a sentence for people and, for bad input, the fields at
 * fault. Rendered by `renderApiError` as {"error":{"code","message","fields"?}}.
 */
export class ApiError extends Exception {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly fields?: FieldErrors,
    readonly headers: Record<string, string> = {}
  ) {
    super(message, { status, code })
  }
}

export function isApiRequest(ctx: HttpContext) {
  return ctx.request.url().startsWith('/api/')
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

interface ErrorLike {
  status?: number
  code?: string
  message?: string
  name?: string
  messages?: Array<{ field: string; message: string }>
}

/**
 * Every failure under /api leaves in the one documented shape, whatever
 * raised it: our ApiErrors, VineJS, the body parser, the router (unknown
 * route or wrong method) or a bug.
 */
export function renderApiError(error: unknown, ctx: HttpContext) {
  const { status, code, message, fields, headers } = describe(error, ctx)
  for (const [name, value] of Object.entries(headers)) ctx.response.header(name, value)
  // A failure of ours says only that, and the request id its detail is logged under.
  if (status === 500) {
    ctx.response.header('X-Request-Id', ctx.request.id() ?? '')
    return ctx.response.status(500).json(internalErrorBody(ctx.request.id()))
  }
  const body = {
    error: { ...(fields ? { code, message, fields } : { code, message }), ...detailsOf(error) },
  }
  return ctx.response.status(status).json(body)
}

/**
 * Extra members an error adds beside code and message, such as billing's
 * plan limit (`limit`, `allowed`, `used`): it offers them as `apiDetails()`.
 */
function detailsOf(error: unknown): Record<string, unknown> {
  const offer = (error as { apiDetails?: () => Record<string, unknown> } | null)?.apiDetails
  return typeof offer === 'function' ? offer.call(error) : {}
}

function describe(error: unknown, ctx: HttpContext) {
  if (error instanceof ApiError) {
    return {
      status: error.status,
      code: error.code!,
      message: error.message,
      fields: error.fields,
      headers: error.headers,
    }
  }
  const e = (error ?? {}) as ErrorLike
  const status = typeof e.status === 'number' && e.status >= 400 ? e.status : 500
  const none = { fields: undefined, headers: {} as Record<string, string> }

  if (status === 422 && Array.isArray(e.messages)) {
    return {
      ...none,
      status,
      code: 'validation_failed',
      message: 'The request is invalid',
      fields: fieldsOf(e.messages),
    }
  }
  if (e.code === 'E_ROUTE_NOT_FOUND') {
    const allowed = allowedMethods(ctx)
    if (allowed.length) {
      return {
        ...none,
        status: 405,
        code: 'method_not_allowed',
        message: `${ctx.request.method()} is not allowed here; use ${allowed.join(', ')}`,
        headers: { Allow: allowed.join(', ') },
      }
    }
    return { ...none, status: 404, code: 'not_found', message: 'No such API endpoint' }
  }
  // The body parser: malformed JSON (a SyntaxError it tags 400) or JSON that
  // is neither an object nor an array.
  if (
    (status === 400 && e.name === 'SyntaxError') ||
    (status === 422 && e.message?.startsWith('Invalid JSON'))
  ) {
    return { ...none, status: 400, code: 'invalid_json', message: 'The body is not valid JSON' }
  }
  if (status === 413) {
    return { ...none, status, code: 'body_too_large', message: e.message ?? 'Body too large' }
  }
  if (status === 500) return { ...none, status, code: 'internal_error', message: 'Internal error' }
  const code =
    e.code && !e.code.startsWith('E_')
      ? e.code
      : e.code
        ? e.code.slice(2).toLowerCase()
        : `http_${status}`
  return { ...none, status, code, message: e.message ?? 'Error' }
}

export function fieldsOf(messages: Array<{ field: string; message: string }>): FieldErrors {
  const fields: FieldErrors = {}
  for (const m of messages) (fields[m.field] ??= []).push(m.message)
  return fields
}

/** The methods the addressed path answers to, for 405 and its Allow header. */
function allowedMethods(ctx: HttpContext) {
  const url = ctx.request.url()
  const hostname = ctx.request.hostname()
  return METHODS.filter(
    (method) => method !== ctx.request.method() && router.match(url, method, hostname) !== null
  )
}
