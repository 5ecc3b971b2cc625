import app from '@adonisjs/core/services/app'
import { HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import { isMachineRequest } from '#app/http/machine_routes'
import { internalErrorBody } from '#app/http/internal_error'
import { isApiRequest, renderApiError } from '#app/http/api/index'
import type { StatusPageRange, StatusPageRenderer } from '@adonisjs/core/types/http'

/**
 * Errors leave in one of two shapes: JSON clients (the API, webhooks, htmx
 * fetches that accept JSON) get `{"error":{"code","message","fields"?}}`;
 * browsers get a rendered page.
 */
export default class HttpExceptionHandler extends ExceptionHandler {
  protected debug = !app.inProduction

  /**
   * People get a page that says what happened and where to go: for 403 and
   * 404 (they are answers, not bugs), for a body that cannot be read or is
   * too large, and for every server error, in development too: a 500 says
   * only that something failed and the request id; the detail (message,
   * SQL, stack) goes to the log under that id.
   */
  protected renderStatusPages = true

  protected statusPages: Record<StatusPageRange, StatusPageRenderer> = {
    '400': (error, { view }) =>
      view.render('pages/errors/status', { status: 400, kind: 'bad_request', error }),
    '403': (error, { view }) =>
      view.render('pages/errors/status', { status: 403, kind: 'forbidden', error }),
    '404': (error, { view }) =>
      view.render('pages/errors/status', { status: 404, kind: 'not_found', error }),
    '413': (error, { view }) =>
      view.render('pages/errors/status', { status: 413, kind: 'too_large', error }),
    '500..599': (_error, { view, request, response }) => {
      response.header('X-Request-Id', request.id() ?? '')
      return view.render('pages/errors/status', {
        status: 500,
        kind: 'server_error',
        requestId: request.id(),
      })
    },
  }

  async handle(error: unknown, ctx: HttpContext) {
    // The REST API answers every failure in its documented shape (405s included).
    if (isApiRequest(ctx)) return renderApiError(error, ctx)
    if (wantsJson(ctx)) {
      const { status, body } = toJsonError(error, ctx.request.id())
      if (status === 500) ctx.response.header('X-Request-Id', ctx.request.id() ?? '')
      return ctx.response.status(status).json(body)
    }
    return super.handle(error, ctx)
  }

  async report(error: unknown, ctx: HttpContext) {
    return super.report(error, ctx)
  }
}

export function wantsJson(ctx: HttpContext) {
  if (isMachineRequest(ctx) || ctx.request.url().startsWith('/health')) return true
  return ctx.request.accepts(['html', 'json']) === 'json'
}

interface ErrorLike {
  status?: number
  code?: string
  message?: string
  messages?: Array<{ field: string; message: string }>
}

function toJsonError(error: unknown, requestId: string | undefined) {
  const e = (error ?? {}) as ErrorLike
  const status = typeof e.status === 'number' && e.status >= 400 ? e.status : 500

  if (status === 422 && Array.isArray(e.messages)) {
    const fields: Record<string, string[]> = {}
    for (const m of e.messages) (fields[m.field] ??= []).push(m.message)
    return {
      status,
      body: { error: { code: 'validation_failed', message: 'The request is invalid', fields } },
    }
  }

  if (status === 500) return { status, body: internalErrorBody(requestId) }
  return {
    status,
    body: { error: { code: normaliseCode(e.code, status), message: e.message ?? 'Error' } },
  }
}

function normaliseCode(code: string | undefined, status: number) {
  if (code && !code.startsWith('E_')) return code
  if (code) return code.slice(2).toLowerCase()
  return status === 404 ? 'not_found' : `http_${status}`
}
