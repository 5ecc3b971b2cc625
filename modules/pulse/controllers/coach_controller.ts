import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { workspaceLayout } from '#modules/tenancy/index'
import { can } from '#modules/identity/index'
import { findContactByPhone, normalizePhone } from '#modules/inbox/index'
import {
  coachBoard,
  enrollContact,
  findCheckinPlanOrFail,
  sendWeeklySummary,
  unenrollContact,
  weeklySummaryText,
} from '../services/checkin_service.js'

/**
 * The coach's page of a check-in plan: each client with today's answer,
 * their streak, the week so far and who went quiet; enroll a client by
 * phone, drop one, and send one their weekly summary.
 */
export default class CoachController {
  async show(ctx: HttpContext) {
    const { bouncer, access, tenant, params, view, i18n } = ctx
    await bouncer.with('OutreachPolicy').authorize('view', access)
    const plan = await findCheckinPlanOrFail(tenant, params.id)
    const rows = await coachBoard(tenant, plan.id)
    const t = (key: string, values: Record<string, unknown>) => i18n.t(key, values)
    return view.render('pulse::outreach/coach', {
      ...workspaceLayout(ctx, 'outreach'),
      plan,
      rows: rows.map((row) => ({ ...row, summary: weeklySummaryText(row, t) })),
      canCoach: can(access, 'outreach.coach'),
      canManage: can(access, 'outreach.manage'),
    })
  }

  async enroll(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request, session, i18n, response } = ctx
    await bouncer.with('OutreachPolicy').authorize('coach', access)
    const plan = await findCheckinPlanOrFail(tenant, params.id)
    const back = `${workspaceLayout(ctx, 'outreach').base}/outreach/checkins/${plan.id}/coach`
    const phone = normalizePhone(String(request.input('phone') ?? ''), null)
    const contact = phone ? await findContactByPhone(tenant, phone.e164) : null
    if (!contact) {
      session.flash('error', i18n.t('outreach.checkins.no_such_contact'))
      return response.redirect(back)
    }
    await enrollContact(tenant, plan.id, contact.id)
    session.flash('success', i18n.t('outreach.checkins.enrolled'))
    return response.redirect(back)
  }

  async unenroll(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request, session, i18n, response } = ctx
    await bouncer.with('OutreachPolicy').authorize('coach', access)
    const plan = await findCheckinPlanOrFail(tenant, params.id)
    const back = `${workspaceLayout(ctx, 'outreach').base}/outreach/checkins/${plan.id}/coach`
    try {
      await unenrollContact(tenant, plan.id, String(request.input('contact_id') ?? ''))
      session.flash('success', i18n.t('outreach.checkins.unenrolled'))
    } catch (error) {
      if (!(error instanceof lucidErrors.E_ROW_NOT_FOUND)) throw error
      session.flash('error', i18n.t('outreach.checkins.no_such_contact'))
    }
    return response.redirect(back)
  }

  async summary(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request, session, i18n, response } = ctx
    await bouncer.with('OutreachPolicy').authorize('coach', access)
    const plan = await findCheckinPlanOrFail(tenant, params.id)
    const back = `${workspaceLayout(ctx, 'outreach').base}/outreach/checkins/${plan.id}/coach`
    const contactId = String(request.input('contact_id') ?? '')
    const board = await coachBoard(tenant, plan.id)
    const row = board.find((r) => r.contactId === contactId)
    if (!row) {
      session.flash('error', i18n.t('outreach.checkins.no_such_contact'))
      return response.redirect(back)
    }
    const text =
      String(request.input('text') ?? '').trim() ||
      weeklySummaryText(row, (key, values) => i18n.t(key, values))
    const outcome = await sendWeeklySummary(tenant, plan.id, contactId, text.slice(0, 1000))
    session.flash(
      outcome.sent ? 'success' : 'error',
      outcome.sent
        ? i18n.t('outreach.checkins.summary_sent')
        : i18n.t('outreach.checkins.summary_not_sent', { reason: outcome.reason })
    )
    return response.redirect(back)
  }
}
