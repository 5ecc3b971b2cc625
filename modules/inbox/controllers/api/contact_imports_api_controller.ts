import type { HttpContext } from '@adonisjs/core/http'
import { ApiError, sendJson } from '#app/http/api/index'
import {
  ContactImportError,
  MAX_IMPORT_BYTES,
  findContactImport,
  importErrorsPage,
  startContactImport,
  uploadContactImport,
  type ContactImport,
} from '../../services/contact_import_service.js'
import { contactFiltersFrom } from '../../services/contact_service.js'
import { contactsCsv } from '../../services/contact_export.js'
import { exportFileName, segmentFilter } from '../contact_imports_controller.js'

const ERRORS_SHOWN = 1000

/**
 * /api/v1/contacts/import, /imports/:id and /export: the workspace's CSV
 * import and export for programs. The import is one call (file, mapping,
 * options) answered 202; its status is polled. Another workspace's import
 * is not found (the queries run in this workspace's schema).
 */
export default class ContactImportsApiController {
  async store(ctx: HttpContext) {
    const { request, tenant } = ctx
    const file = request.file('file')
    if (!file || !file.tmpPath) {
      throw new ApiError(422, 'validation_failed', 'The request is invalid', {
        file: ['Attach the CSV as the multipart field "file"'],
      })
    }
    if (file.size > MAX_IMPORT_BYTES) {
      throw new ApiError(413, 'file_too_large', 'The file is larger than the 50 MB limit', {
        file: ['At most 50 MB'],
      })
    }
    const body = request.body()
    let mapping: Record<string, string> | undefined
    if (body.mapping !== undefined && body.mapping !== '') {
      mapping = parseMapping(body.mapping)
    }
    try {
      const uploaded = await uploadContactImport(
        tenant,
        { path: file.tmpPath, fileName: file.clientName || 'contacts.csv' },
        null
      )
      const started = await startContactImport(tenant, uploaded.id, {
        mapping,
        defaultCountry: typeof body.default_country === 'string' ? body.default_country : null,
        label: typeof body.label === 'string' ? body.label : null,
      })
      ctx.response.header('Location', `/api/v1/contacts/imports/${started.id}`)
      return sendJson(ctx, 202, presentImport(started, []))
    } catch (error) {
      if (!(error instanceof ContactImportError)) throw error
      const fields: Record<string, string[]> = {}
      const field = {
        invalid_file: 'file',
        file_too_large: 'file',
        invalid_mapping: 'mapping',
        invalid_country: 'default_country',
        invalid_label: 'label',
        not_mapping: 'mapping',
      }[error.code as string]
      if (field) fields[field] = [error.message]
      throw new ApiError(error.status, error.code!, error.message, fields)
    }
  }

  async show(ctx: HttpContext) {
    const job = await findContactImport(ctx.tenant, ctx.params.id)
    if (!job) throw new ApiError(404, 'not_found', 'No such import')
    const page = job.errorCount
      ? await importErrorsPage(ctx.tenant, job.id, { limit: ERRORS_SHOWN })
      : null
    const errors = page?.rows ?? []
    return sendJson(ctx, 200, presentImport(job, errors))
  }

  async export(ctx: HttpContext) {
    const qs = ctx.request.qs()
    const segment = qs.segment_id
      ? await segmentFilter(ctx.tenant, String(qs.segment_id)).catch(() => {
          throw new ApiError(404, 'not_found', 'No such segment')
        })
      : null
    const list = await contactFiltersFrom(qs)
    ctx.response.header('Content-Type', 'text/csv; charset=utf-8')
    ctx.response.header('Content-Disposition', `attachment; filename="${exportFileName()}"`)
    return ctx.response.stream(contactsCsv(ctx.tenant, { list, segment }))
  }
}

/** `mapping` is a JSON object of header to field, sent as a multipart text field. */
function parseMapping(raw: unknown): Record<string, string> {
  let value: unknown = raw
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw)
    } catch {
      value = null
    }
  }
  const valid =
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value).every((target) => typeof target === 'string')
  if (!valid) {
    throw new ApiError(422, 'invalid_mapping', 'mapping is not a JSON object of column to field', {
      mapping: ['Give a JSON object such as {"Mobile": "phone", "Full name": "name"}'],
    })
  }
  return value as Record<string, string>
}

function presentImport(
  job: ContactImport,
  errors: Array<{ row: number; column: string | null; code: string; value: string | null }>
) {
  return {
    id: job.id,
    status: job.status,
    file_name: job.fileName,
    mapping: Object.fromEntries(job.headers.map((header, index) => [header, job.mapping[index]])),
    default_country: job.defaultCountry,
    label: job.label,
    counts: {
      total: job.total,
      processed: job.processed,
      created: job.created,
      updated: job.updated,
      repeated: job.repeated,
      errors: job.errorCount,
    },
    errors,
    failure: job.failure,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    finished_at: job.finishedAt?.toISOString() ?? null,
  }
}
