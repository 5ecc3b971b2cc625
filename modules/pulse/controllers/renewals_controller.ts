import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { can } from '#modules/identity/index'
import {
  RENEWAL_STATUSES,
  RENEWALS_WINDOW_DAYS,
  dateFieldsOf,
  listDateRules,
  listRenewals,
  setRenewalStatus,
} from '../services/date_reminder_service.js'

/**
 * The Renewals page: contacts whose date (the field a reminder rule
 * watches) falls in the next 90 days, soonest first, with the status the
 * team moves along (reminded, in talks, renewed, lost).
 */
export default class RenewalsController {
  async index(ctx: HttpContext) {
    await ctx.bouncer.with('OutreachPolicy').authorize('viewRenewals', ctx.access)
    return render(ctx)
  }

  async update(ctx: HttpContext) {
    const { bouncer, access, tenant, request, session, i18n, response, auth } = ctx
    await bouncer.with('OutreachPolicy').authorize('updateRenewals', access)
    const fieldKey = String(request.input('field') ?? '')
    const status = String(request.input('status') ?? '')
    const contactId = String(request.input('contact_id') ?? '')
    const date = String(request.input('date') ?? '')
    const fields = await watchedFields(ctx)
    if (
      !fields.some((field) => field.value === fieldKey) ||
      !(RENEWAL_STATUSES as readonly string[]).includes(status) ||
      !contactId
    ) {
      return render(ctx, i18n.t('outreach.renewals.invalid'), 422)
    }
    // A contact of another workspace, or a date it no longer has: 404.
    await setRenewalStatus(tenant, { fieldKey, contactId, date, status, userId: auth.user!.id })
    session.flash('success', i18n.t('outreach.renewals.updated'))
    const query = new URLSearchParams({ field: fieldKey }).toString()
    return response.redirect(`${workspaceLayout(ctx, 'renewals').base}/renewals?${query}`)
  }
}

/** The date fields some reminder rule watches (else every date field). */
async function watchedFields(ctx: HttpContext) {
  const [rules, fields] = await Promise.all([listDateRules(ctx.tenant), dateFieldsOf(ctx.tenant)])
  const watched = new Set(rules.map((rule) => rule.fieldKey))
  const chosen = fields.filter((field) => watched.has(field.key))
  return (chosen.length ? chosen : fields).map((field) => ({
    value: field.key,
    label: field.label,
  }))
}

async function render(ctx: HttpContext, problem: string | null = null, status = 200) {
  const { request, tenant, view, access, response } = ctx
  const fields = await watchedFields(ctx)
  const asked = String(request.input('field') ?? '')
  const field = fields.find((f) => f.value === asked) ?? fields[0] ?? null
  const filter = String(request.input('filter') ?? '')
  const rows = field ? await listRenewals(tenant, field.value, { status: filter || null }) : []
  response.status(status)
  return view.render('pulse::outreach/renewals', {
    ...workspaceLayout(ctx, 'renewals'),
    fields,
    field,
    filter,
    rows,
    statuses: RENEWAL_STATUSES,
    days: RENEWALS_WINDOW_DAYS,
    problem,
    canUpdate: can(access, 'renewals.update'),
  })
}
