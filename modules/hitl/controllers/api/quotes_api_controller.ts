import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import { apiActor } from '#modules/integrations/index'
import { ApiError, sendJson } from '#app/http/api/index'
import { presentTask } from '../../services/task_presenter.js'
import { analyzeQuotes, MAX_QUOTES, type QuoteFile } from '../../services/quotes/quote_analyzer.js'
import { findQuoteRun, startQuoteRun, type QuoteRun } from '../../services/quotes/quote_runs.js'
import { findTask } from '../../services/task_service.js'
import { asApiError } from './tasks_api_controller.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * POST /api/v1/quotes/analyze: two or more quote PDFs (multipart `files`)
 * become a quote comparison task; the answer carries the task and what was
 * read from each quote (each field with its page, or missing). With
 * `Prefer: respond-async` the quotes are read by a job instead: 202 with
 * the run, whose progress `GET /api/v1/quotes/runs/:id` tells (quotes read
 * of total, then the task).
 */
export default class QuotesApiController {
  async analyze(ctx: HttpContext) {
    if (!ctx.request.is(['multipart'])) {
      throw new ApiError(415, 'unsupported_media_type', 'Send the PDFs as multipart/form-data', {
        files: ['Attach the quote PDFs as the multipart field "files"'],
      })
    }
    const uploads = ctx.request.files('files', { size: '10mb' })
    const body = ctx.request.body()
    const contactId =
      typeof body.contact_id === 'string' && body.contact_id ? body.contact_id : null
    if (contactId && !UUID.test(contactId)) {
      throw new ApiError(422, 'validation_failed', 'contact_id is a contact id', {
        contact_id: ['A contact id'],
      })
    }
    const language = body.language === 'ar' ? 'ar' : 'en'
    if (uploads.length > MAX_QUOTES) {
      throw new ApiError(422, 'validation_failed', `At most ${MAX_QUOTES} quotes`, {
        files: [`At most ${MAX_QUOTES} PDF files`],
      })
    }
    const files: QuoteFile[] = []
    for (const [index, upload] of uploads.entries()) {
      if (!upload.isValid || !upload.tmpPath) {
        throw new ApiError(413, 'too_large', `${upload.clientName}: at most 10 MB`, {
          [`files.${index}`]: upload.errors.map((e) => e.message),
        })
      }
      files.push({ filename: upload.clientName, bytes: await readFile(upload.tmpPath) })
    }
    const base = env.get('APP_URL', `${ctx.request.protocol()}://${ctx.request.host()}`)
    if (/\brespond-async\b/i.test(ctx.request.header('prefer') ?? '')) {
      const run = await startQuoteRun(
        ctx.tenant,
        files,
        { contactId, language, baseUrl: base, source: 'api' },
        apiActor(ctx)
      ).catch(asApiError)
      ctx.response.header('Location', `/api/v1/quotes/runs/${run.id}`)
      ctx.response.header('Preference-Applied', 'respond-async')
      return sendJson(ctx, 202, { run: presentRun(run) })
    }
    const analyzed = await analyzeQuotes(
      ctx.tenant,
      files,
      { contactId, language, baseUrl: base },
      apiActor(ctx)
    ).catch(asApiError)
    return sendJson(ctx, 201, {
      task: presentTask(analyzed.task),
      best_index: analyzed.best,
      quotes: analyzed.quotes.map((quote) => ({
        document_id: quote.documentId,
        filename: quote.filename,
        pages: quote.pages,
        fields: quote.extraction,
      })),
    })
  }

  /** GET /api/v1/quotes/runs/:id: an asynchronous analysis' progress, then its task. */
  async run(ctx: HttpContext) {
    const run = await findQuoteRun(ctx.tenant, ctx.params.id)
    if (!run) throw new ApiError(404, 'not_found', 'No such quote run')
    const task = run.task_id ? await findTask(ctx.tenant, run.task_id) : null
    return sendJson(ctx, 200, { run: presentRun(run), task: task ? presentTask(task) : null })
  }
}

function presentRun(run: QuoteRun) {
  return {
    id: run.id,
    status: run.status,
    done: run.done,
    total: run.total,
    contact_id: run.contact_id,
    language: run.language,
    task_id: run.task_id,
    error: run.error,
    created_at: run.created_at,
  }
}
