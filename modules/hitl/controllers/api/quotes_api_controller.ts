import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import { apiActor } from '#modules/integrations/index'
import { ApiError, sendJson } from '#app/http/api/index'
import { presentTask } from '../../services/task_presenter.js'
import { analyzeQuotes, MAX_QUOTES, type QuoteFile } from '../../services/quotes/quote_analyzer.js'
import { asApiError } from './tasks_api_controller.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * POST /api/v1/quotes/analyze: two or more quote PDFs (multipart `files`)
 * become a quote comparison task; the answer carries the task and what was
 * read from each quote (each field with its page, or missing).
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
}
