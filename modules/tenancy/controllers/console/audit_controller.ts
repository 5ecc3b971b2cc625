import type { HttpContext } from '@adonisjs/core/http'
import { consoleNav } from '../../services/console_nav.js'
import { auditActions, auditFiltersFrom, searchAudit } from '../../services/console_audit.js'
import { wantsFragment } from '#app/http/htmx'

export default class AuditController {
  async index({ request, view, i18n, auth }: HttpContext) {
    const filters = auditFiltersFrom(request.qs())
    const entries = await searchAudit(filters, '/admin/audit')
    const data = { filters, entries, timezone: auth.user?.timezone ?? 'UTC' }
    if (wantsFragment(request, 'audit-results')) {
      return view.render('tenancy::console/audit/results', data)
    }
    return view.render('tenancy::console/audit/index', {
      ...data,
      actions: await auditActions(),
      nav: consoleNav((key) => i18n.t(key), 'audit'),
    })
  }
}
