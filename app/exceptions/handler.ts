import app from '@adonisjs/core/services/app'
import { HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import { isMachineRequest } from '#app/http/machine_routes'
import { isApiRequest, renderApiError } from '#modules/integrations/index'
import type { StatusPageRange, StatusPageRenderer } from '@adonisjs/core/types/http'

/**
 * Errors leave in one of two shapes: JSON clients (the API, webhooks, htmx
 * fetches that accept JSON) get `{"error":{"code","message","fields"?}}`;
 * browsers get a rendered page.
 */
export default class HttpExceptionHandler extends ExceptionHandler {
  protected debug = !app.inProduction

  /**
   * People get a page that says what happened and where to go: always for
   * 403 and 404 (they are answers, not bugs), and for server errors in
   * production (development shows the error itself).
   */
  protected renderStatusPages = true

  protected statusPages: Record<StatusPageRange, StatusPageRenderer> = {
    '403': (error, { view }) =>
      view.render('pages/errors/status', { status: 403, kind: 'forbidden', error }),
    '404': (error, { view }) =>
      view.render('pages/errors/status', { status: 404, kind: 'not_found', error }),
    ...(app.inProduction
      ? {
          '500..599': ((error, { view }) =>
            view.render('pages/errors/status', {
              status: 500,
              kind: 'server_error',
              error,
            })) as StatusPageRenderer,
        }
      : {}),
  }

  async handle(error: unknown, ctx: HttpContext) {
    // The REST API answers every failure in its documented shape (405s included).
    if (isApiRequest(ctx)) return renderApiError(error, ctx, this.debug)
    if (wantsJson(ctx)) {
      const { status, body } = toJsonError(error, this.debug)
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

function toJsonError(error: unknown, debug: boolean) {
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

  const code = status === 500 ? 'internal_error' : normaliseCode(e.code, status)
  const message =
    status === 500 && !debug ? 'Something went wrong on our side' : (e.message ?? 'Error')
  return { status, body: { error: { code, message } } }
}

function normaliseCode(code: string | undefined, status: number) {
  if (code && !code.startsWith('E_')) return code
  if (code) return code.slice(2).toLowerCase()
  return status === 404 ? 'not_found' : `http_${status}`
}
