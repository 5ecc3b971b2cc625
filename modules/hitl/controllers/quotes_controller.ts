import { readFile } from 'node:fs/promises'
import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import env from '#start/env'
import { actorFromRequest, can } from '#modules/identity/index'
import { contactById } from '#modules/inbox/index'
import { workspaceLayout } from '#modules/tenancy/index'
import { findTask, maySee } from '../services/task_service.js'
import { TaskError } from '../services/task_errors.js'
import {
  MAX_QUOTES,
  MIN_QUOTES,
  findTaskDocument,
  type QuoteFile,
} from '../services/quotes/quote_analyzer.js'
import { findQuoteRun, startQuoteRun } from '../services/quotes/quote_runs.js'
import { isHtmx } from '#app/http/htmx'
import { documentBytes } from '../services/quotes/document_files.js'
import { pageImage } from '../services/quotes/page_images.js'
import { hitlSettings, updateHitlSettings } from '../services/settings.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The quote analyzer in the workspace: an agent uploads a contact's quote
 * PDFs (a plain multipart form) and lands on the comparison task; the
 * task's documents are served to members who may see the task.
 */
export default class QuotesController {
  async create(ctx: HttpContext) {
    const { access, tenant, request, view, response, i18n } = ctx
    if (!can(access, 'tasks.act')) return response.forbidden(i18n.t('tasks.forbidden'))
    const contactId = String(request.qs().contact_id ?? '')
    const contact = UUID.test(contactId) ? await contactById(tenant, contactId) : null
    if (contactId && !contact) throw new lucidErrors.E_ROW_NOT_FOUND()
    const layout = workspaceLayout(ctx, 'tasks')
    return view.render('hitl::tasks/quotes_new', {
      ...layout,
      stylesheets: ['/assets/tasks.css'],
      scripts: [],
      contact: contact
        ? {
            id: contact.id,
            label: contact.name || contact.profileName || contact.phone || '—',
          }
        : null,
      min: MIN_QUOTES,
      max: MAX_QUOTES,
      canManage: can(access, 'tasks.manage'),
      settings: await hitlSettings(tenant),
    })
  }

  /** The workspace's switch: customers' quote PDFs on WhatsApp start the analyzer. */
  async settings(ctx: HttpContext) {
    const { access, tenant, request, response, session, i18n } = ctx
    if (!can(access, 'tasks.manage')) return response.forbidden(i18n.t('tasks.forbidden'))
    await updateHitlSettings(
      tenant,
      { analyzeWhatsAppQuotes: request.input('analyze_whatsapp_quotes') === 'on' },
      actorFromRequest(ctx)
    )
    session.flash('success', i18n.t('tasks.quotes.whatsapp.saved'))
    return response.redirect(`${workspaceLayout(ctx, 'tasks').base}/tasks/quotes/new`)
  }

  async store(ctx: HttpContext) {
    const { access, tenant, request, response, session, i18n } = ctx
    if (!can(access, 'tasks.act')) return response.forbidden(i18n.t('tasks.forbidden'))
    const base = workspaceLayout(ctx, 'tasks').base
    const contactId = String(request.input('contact_id', '') ?? '')
    const back = `${base}/tasks/quotes/new${UUID.test(contactId) ? `?contact_id=${contactId}` : ''}`
    const uploads = request.files('files', { size: '10mb', extnames: ['pdf'] })
    const files: QuoteFile[] = []
    for (const upload of uploads) {
      if (!upload.isValid || !upload.tmpPath) {
        session.flash('error', i18n.t('tasks.quotes.errors.file', { name: upload.clientName }))
        return response.redirect(back)
      }
      files.push({ filename: upload.clientName, bytes: await readFile(upload.tmpPath) })
    }
    if (files.length < MIN_QUOTES || files.length > MAX_QUOTES) {
      session.flash(
        'error',
        i18n.t('tasks.quotes.errors.count', { min: MIN_QUOTES, max: MAX_QUOTES })
      )
      return response.redirect(back)
    }
    try {
      // Read by a job: the page that follows shows its progress.
      const run = await startQuoteRun(
        tenant,
        files,
        {
          contactId: UUID.test(contactId) ? contactId : null,
          language: i18n.locale === 'ar' ? 'ar' : 'en',
          baseUrl: env.get('APP_URL', `${request.protocol()}://${request.host()}`),
          source: 'upload',
        },
        actorFromRequest(ctx)
      )
      return response.redirect(`${base}/tasks/quotes/runs/${run.id}`)
    } catch (error) {
      if (!(error instanceof TaskError)) throw error
      session.flash('error', error.message)
      return response.redirect(back)
    }
  }

  /**
   * A quote run's progress; once its task is open, the task (a redirect, or
   * HX-Redirect for htmx's poll). Runs are seen by members who may act on
   * tasks, within their workspace.
   */
  async run(ctx: HttpContext) {
    const { access, tenant, params, request, response, view, session, i18n } = ctx
    if (!can(access, 'tasks.act')) return response.forbidden(i18n.t('tasks.forbidden'))
    const run = await findQuoteRun(tenant, params.id)
    if (!run) throw new lucidErrors.E_ROW_NOT_FOUND()
    const layout = workspaceLayout(ctx, 'tasks')
    if (run.status === 'done' && run.task_id) {
      const to = `${layout.base}/tasks/${run.task_id}`
      session.flash('success', i18n.t('tasks.quotes.flash.analyzed'))
      if (isHtmx(request)) return response.header('HX-Redirect', to).send('')
      return response.redirect(to)
    }
    const data = {
      base: layout.base,
      run,
      againUrl: `${layout.base}/tasks/quotes/new${run.contact_id ? `?contact_id=${run.contact_id}` : ''}`,
    }
    if (isHtmx(request)) return view.render('hitl::tasks/quotes_run_status', data)
    response.header('Cache-Control', 'no-store')
    return view.render('hitl::tasks/quotes_run', {
      ...layout,
      ...data,
      stylesheets: ['/assets/tasks.css'],
      scripts: [],
    })
  }

  /** A task's PDF, inline, for a member who may see the task. */
  async document(ctx: HttpContext) {
    const { tenant, response } = ctx
    const doc = await this.visibleDocument(ctx)
    if (!doc) return
    const bytes = await documentBytes(tenant, doc)
    if (!bytes) throw new lucidErrors.E_ROW_NOT_FOUND()
    const safeName = doc.filename.replace(/[^\w.\- ]+/g, '_')
    return response
      .header('Content-Type', doc.content_type)
      .header('Content-Disposition', `inline; filename="${safeName}"`)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'private, no-store')
      .send(bytes)
  }

  /** One of the document's first pages as a PNG (the task page shows them inline). */
  async documentPage(ctx: HttpContext) {
    const { tenant, params, response } = ctx
    const doc = await this.visibleDocument(ctx)
    if (!doc) return
    const png = await pageImage(tenant, doc, Number(params.page))
    if (!png) throw new lucidErrors.E_ROW_NOT_FOUND()
    return response
      .header('Content-Type', 'image/png')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'private, max-age=3600')
      .send(png)
  }

  /** A task's stored document, for a member who may see that task (else 403 or 404). */
  private async visibleDocument({ access, tenant, params, response, i18n }: HttpContext) {
    if (!can(access, 'tasks.view')) {
      response.forbidden(i18n.t('tasks.forbidden'))
      return null
    }
    const doc = await findTaskDocument(tenant, params.id)
    const task = doc?.task_id ? await findTask(tenant, doc.task_id) : null
    if (!doc || !task || !maySee(task, access)) throw new lucidErrors.E_ROW_NOT_FOUND()
    return doc
  }
}
