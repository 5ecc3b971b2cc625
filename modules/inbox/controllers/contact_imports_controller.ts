import type { HttpContext } from '@adonisjs/core/http'
import { Readable } from 'node:stream'
import { parsePhoneNumberFromString, getCountries } from 'libphonenumber-js'
import { workspaceLayout } from '#modules/tenancy/index'
import { channelsOf } from '#modules/channels/index'
import { wantsFragment } from '#app/http/htmx'
import { keepInput } from '#app/http/form_errors'
import {
  ContactImportError,
  MAX_IMPORT_BYTES,
  findContactImportOrFail,
  importErrorsPage,
  recentContactImports,
  startContactImport,
  uploadContactImport,
  type ContactImport,
} from '../services/contact_import_service.js'
import { BUILT_IN_TARGETS } from '../services/contact_import_rows.js'
import { listContactFields } from '../services/contact_field_service.js'
import { contactFiltersFrom } from '../services/contact_service.js'
import { contactsCsv, csvLine } from '../services/contact_export.js'

/**
 * CSV in and out of the contact list: upload a file, map its columns, watch
 * the import's progress and download its refused rows; export the list as
 * it is filtered (or a segment). Owners and admins only: it is the whole
 * customer base at once.
 */
export default class ContactImportsController {
  async create(ctx: HttpContext) {
    const { bouncer, view, access, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('bulk', access)
    const imports = await recentContactImports(tenant)
    return view.render('inbox::contacts/import', {
      ...workspaceLayout(ctx, 'contacts'),
      maxMegabytes: MAX_IMPORT_BYTES / 1024 / 1024,
      imports: imports.map((job) => present(ctx, job)),
    })
  }

  async store(ctx: HttpContext) {
    const { bouncer, request, response, session, access, tenant, auth, i18n } = ctx
    await bouncer.with('ContactsPolicy').authorize('bulk', access)
    const base = workspaceLayout(ctx, 'contacts').base
    const file = request.file('file', { size: `${MAX_IMPORT_BYTES / 1024 / 1024}mb` })
    const refuse = (message: string) => {
      keepInput(ctx)
      session.flash('inputErrorsBag', { file: [message] })
      return response.redirect(`${base}/contacts/import`)
    }
    if (!file || !file.tmpPath) return refuse(i18n.t('contacts.import.errors.no_file'))
    if (!file.isValid) return refuse(i18n.t('contacts.import.errors.file_too_large'))
    try {
      const made = await uploadContactImport(
        tenant,
        { path: file.tmpPath, fileName: file.clientName },
        auth.user!.id
      )
      return response.redirect(`${base}/contacts/imports/${made.id}`)
    } catch (error) {
      if (!(error instanceof ContactImportError)) throw error
      return refuse(i18n.t(`contacts.import.errors.${error.code}`))
    }
  }

  async show(ctx: HttpContext) {
    const { bouncer, request, response, view, access, tenant, params } = ctx
    await bouncer.with('ContactsPolicy').authorize('bulk', access)
    const job = await findContactImportOrFail(tenant, params.id)
    const layout = workspaceLayout(ctx, 'contacts')
    const data = {
      ...layout,
      job: present(ctx, job),
      url: `${layout.base}/contacts/imports/${job.id}`,
    }
    if (wantsFragment(request, 'import-progress')) {
      return view.render('inbox::contacts/_import_progress', data)
    }
    if (job.status !== 'mapping') {
      return view.render('inbox::contacts/import_show', data)
    }
    const fields = await listContactFields(tenant)
    const old = ctx.session.flashMessages.get('mapping') as string[] | undefined
    response.header('Cache-Control', 'no-store')
    return view.render('inbox::contacts/import_mapping', {
      ...data,
      columns: job.headers.map((header, index) => ({
        index,
        header,
        samples: job.sample.map((row) => row[index] ?? '').filter(Boolean),
        chosen: old?.[index] ?? job.mapping[index],
      })),
      targets: [
        { value: 'ignore', label: ctx.i18n.t('contacts.import.targets.ignore') },
        ...BUILT_IN_TARGETS.map((target) => ({
          value: target,
          label: ctx.i18n.t(`contacts.import.targets.${target}`),
        })),
        ...fields.map((field) => ({
          value: `attr.${field.key}`,
          label: `${field.label}${field.required ? ' *' : ''}`,
        })),
      ],
      countries: countryChoices(ctx),
      defaultCountry: await defaultCountryOf(tenant.id),
    })
  }

  async start(ctx: HttpContext) {
    const { bouncer, request, response, session, access, tenant, params, i18n } = ctx
    await bouncer.with('ContactsPolicy').authorize('bulk', access)
    const job = await findContactImportOrFail(tenant, params.id)
    const url = `${workspaceLayout(ctx, 'contacts').base}/contacts/imports/${job.id}`
    const mapping = job.headers.map((_, index) =>
      String(request.input(`column_${index}`, 'ignore'))
    )
    try {
      await startContactImport(tenant, job.id, {
        mapping,
        defaultCountry: request.input('default_country'),
        label: request.input('label'),
      })
    } catch (error) {
      if (!(error instanceof ContactImportError)) throw error
      keepInput(ctx)
      session.flash('mapping', mapping)
      const bag: Record<string, string[]> = {}
      for (const problem of error.problems) {
        const key = problem.column === null ? 'mapping' : `column_${problem.column}`
        const text = i18n.t(`contacts.import.mapping_errors.${problem.code}`, {
          field: problem.target?.replace(/^attr\./, '') ?? '',
        })
        bag[key] = [...(bag[key] ?? []), text]
      }
      if (error.code === 'invalid_country') {
        bag.default_country = [i18n.t('contacts.import.errors.invalid_country')]
      } else if (error.code === 'invalid_label') {
        bag.label = [i18n.t('contacts.import.errors.invalid_label')]
      }
      session.flash('inputErrorsBag', bag)
      session.flash('error', i18n.t('contacts.import.errors.fix_mapping'))
      return response.redirect(url)
    }
    return response.redirect(url)
  }

  /** The refused rows as CSV: row, column, value and the reason in the reader's language. */
  async errors(ctx: HttpContext) {
    const { bouncer, response, access, tenant, params, i18n } = ctx
    await bouncer.with('ContactsPolicy').authorize('bulk', access)
    const job = await findContactImportOrFail(tenant, params.id)
    const headings = ['row', 'column', 'value', 'reason'].map((name) =>
      i18n.t(`contacts.import.report.${name}`)
    )
    async function* lines() {
      yield '\uFEFF' + csvLine(headings)
      let afterId: number | undefined
      for (;;) {
        const page = await importErrorsPage(tenant, job.id, { afterId, limit: 5000 })
        if (!page.rows.length) return
        yield page.rows
          .map((row) =>
            csvLine([row.row, row.column, row.value, i18n.t(`contacts.import.reasons.${row.code}`)])
          )
          .join('')
        afterId = page.lastId!
      }
    }
    response.header('Content-Type', 'text/csv; charset=utf-8')
    response.header(
      'Content-Disposition',
      `attachment; filename="import-errors-${job.id.slice(0, 8)}.csv"`
    )
    return response.stream(Readable.from(lines()))
  }

  /** The list as filtered on the contacts page (q, tag, opt_in), or a segment's contacts. */
  async export(ctx: HttpContext) {
    const { bouncer, request, response, access, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('bulk', access)
    const qs = request.qs()
    const segment = qs.segment ? await segmentFilter(tenant, String(qs.segment)) : null
    const list = await contactFiltersFrom(qs)
    response.header('Content-Type', 'text/csv; charset=utf-8')
    response.header('Content-Disposition', `attachment; filename="${exportFileName()}"`)
    return response.stream(contactsCsv(tenant, { list, segment }))
  }
}

export function exportFileName() {
  return `contacts-${new Date().toISOString().slice(0, 10)}.csv`
}

/** A pulse segment's filter; an unknown or another workspace's segment is a 404. */
export async function segmentFilter(tenant: HttpContext['tenant'], segmentId: string) {
  // Pulse builds on the inbox: its index is read only when a segment is asked for.
  const { findSegmentOrFail } = await import('#modules/pulse/index')
  const segment = await findSegmentOrFail(tenant, segmentId)
  return segment.filter
}

function present(ctx: HttpContext, job: ContactImport) {
  const running = job.status === 'queued' || job.status === 'running'
  const percent =
    job.status === 'done'
      ? 100
      : job.total
        ? Math.min(99, Math.floor((job.processed / job.total) * 100))
        : null
  return {
    ...job,
    running,
    percent,
    statusLabel: ctx.i18n.t(`contacts.import.status.${job.status}`),
    createdLabel: job.createdAt.toISOString().slice(0, 16).replace('T', ' '),
  }
}

const REGIONS = new Intl.DisplayNames(['en'], { type: 'region' })

function countryChoices(ctx: HttpContext) {
  const names = new Intl.DisplayNames([ctx.i18n.locale], { type: 'region' })
  return getCountries()
    .map((code) => ({
      value: code,
      label: `${names.of(code) ?? REGIONS.of(code) ?? code} (${code})`,
    }))
    .sort((a, b) => a.label.localeCompare(b.label, ctx.i18n.locale))
}

/** The country of the workspace's first WhatsApp number: most of its customers dial like it. */
async function defaultCountryOf(tenantId: string) {
  const channels = await channelsOf(tenantId)
  for (const channel of channels) {
    if (channel.type !== 'whatsapp' || !channel.displayNumber) continue
    const country = parsePhoneNumberFromString(channel.displayNumber)?.country
    if (country) return country
  }
  return ''
}
