import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { can } from '#modules/identity/index'
import { channelsOf } from '#modules/channels/index'
import {
  deleteNudgeRule,
  findNudgeRuleOrFail,
  listNudgeRules,
  saveNudgeRule,
} from '../services/nudge_service.js'
import {
  dateFieldsOf,
  deleteDateRule,
  findDateRuleOrFail,
  listDateRules,
  saveDateRule,
} from '../services/date_reminder_service.js'
import {
  findCheckinPlanOrFail,
  listCheckinPlans,
  saveCheckinPlan,
} from '../services/checkin_service.js'
import { readPulseSettings } from '../services/relational_pulse_service.js'
import { DEFAULT_QUIET, clockText } from '../services/campaign_schedule.js'
import {
  checkinPlanFrom,
  dateRuleFrom,
  nudgeRuleFrom,
  type FormErrors,
} from '../validators/outreach_validator.js'

type Kind = 'nudges' | 'reminders' | 'checkins'

/**
 * The outreach rules: an overview of every rule, and one form per kind
 * (follow-up nudges, date reminders, check-in plans). Forms post and
 * redirect; bad input shows the form again with each field's problem.
 */
export default class OutreachController {
  async index(ctx: HttpContext) {
    const { bouncer, access, tenant, view } = ctx
    await bouncer.with('OutreachPolicy').authorize('view', access)
    const [nudges, reminders, plans, pulse] = await Promise.all([
      listNudgeRules(tenant),
      listDateRules(tenant),
      listCheckinPlans(tenant),
      readPulseSettings(tenant),
    ])
    return view.render('pulse::outreach/index', {
      ...workspaceLayout(ctx, 'outreach'),
      nudges,
      reminders,
      plans,
      pulse,
      canManage: can(access, 'outreach.manage'),
    })
  }

  async create(ctx: HttpContext) {
    await ctx.bouncer.with('OutreachPolicy').authorize('manage', ctx.access)
    const kind = kindOf(ctx)
    return renderForm(ctx, kind, null, defaults(kind), {})
  }

  async edit(ctx: HttpContext) {
    await ctx.bouncer.with('OutreachPolicy').authorize('manage', ctx.access)
    const kind = kindOf(ctx)
    const record = await find(ctx, kind, ctx.params.id)
    return renderForm(ctx, kind, record.id, entryOf(kind, record), {})
  }

  async store(ctx: HttpContext) {
    await ctx.bouncer.with('OutreachPolicy').authorize('manage', ctx.access)
    return save(ctx, kindOf(ctx), null)
  }

  async update(ctx: HttpContext) {
    await ctx.bouncer.with('OutreachPolicy').authorize('manage', ctx.access)
    const kind = kindOf(ctx)
    const record = await find(ctx, kind, ctx.params.id)
    return save(ctx, kind, record.id)
  }

  async destroy(ctx: HttpContext) {
    const { bouncer, access, tenant, params, session, i18n, response } = ctx
    await bouncer.with('OutreachPolicy').authorize('manage', access)
    const kind = kindOf(ctx)
    const removed =
      kind === 'nudges'
        ? await deleteNudgeRule(tenant, params.id)
        : await deleteDateRule(tenant, params.id)
    session.flash('success', i18n.t('outreach.flash.deleted', { name: removed.name }))
    return response.redirect(`${workspaceLayout(ctx, 'outreach').base}/outreach`)
  }
}

function kindOf(ctx: HttpContext): Kind {
  const path = ctx.request.url()
  if (path.includes('/outreach/nudges')) return 'nudges'
  if (path.includes('/outreach/reminders')) return 'reminders'
  return 'checkins'
}

function find(ctx: HttpContext, kind: Kind, id: string) {
  if (kind === 'nudges') return findNudgeRuleOrFail(ctx.tenant, id)
  if (kind === 'reminders') return findDateRuleOrFail(ctx.tenant, id)
  return findCheckinPlanOrFail(ctx.tenant, id)
}

function defaults(kind: Kind): Record<string, unknown> {
  if (kind === 'nudges') {
    return {
      enabled: true,
      after_hours: '20',
      max_nudges: '1',
      final_action: 'none',
      quiet_start: clockText(DEFAULT_QUIET.start),
      quiet_end: clockText(DEFAULT_QUIET.end),
      template_variables: '{{contact.name|there}}',
    }
  }
  if (kind === 'reminders') {
    return {
      enabled: true,
      offsets: '-60, -30, -7',
      local_time: '10:00',
      create_task: true,
      template_variables: '{{contact.name|there}}',
    }
  }
  return {
    enabled: true,
    days: [1, 2, 3, 4, 5],
    local_time: '08:00',
    answers: 'Done\nNot yet\nSkip',
    template_variables: '{{contact.name|there}}',
  }
}

/** A saved record as the form's fields. */
function entryOf(kind: Kind, record: any): Record<string, unknown> {
  const shared = {
    name: record.name,
    enabled: record.enabled,
    channel_id: record.channelId ?? '',
    template_name: record.templateName ?? '',
    template_language: record.templateLanguage ?? '',
    template_variables: (record.templateVariables ?? []).join('\n'),
  }
  if (kind === 'nudges') {
    return {
      ...shared,
      label: record.label ?? '',
      after_hours: String(record.afterHours),
      max_nudges: String(record.maxNudges),
      message: record.message,
      final_action: record.finalAction,
      final_label: record.finalLabel ?? '',
      quiet_start: clockText(record.quietStart),
      quiet_end: clockText(record.quietEnd),
    }
  }
  if (kind === 'reminders') {
    return {
      ...shared,
      field_key: record.fieldKey,
      offsets: record.offsets.join(', '),
      local_time: record.localTime,
      message: record.message ?? '',
      create_task: record.createTask,
      task_title: record.taskTitle ?? '',
    }
  }
  return {
    ...shared,
    days: record.days,
    local_time: record.localTime,
    question: record.question,
    answers: record.answers.join('\n'),
    follow_up: record.followUp ?? '',
    nudge_after_hours: record.nudgeAfterHours ? String(record.nudgeAfterHours) : '',
    nudge_text: record.nudgeText ?? '',
    tag: record.tag ?? '',
  }
}

async function whatsappChannels(ctx: HttpContext) {
  const channels = await channelsOf(ctx.tenant.id)
  return channels.filter((channel) => channel.type === 'whatsapp')
}

async function save(ctx: HttpContext, kind: Kind, id: string | null) {
  const { request, tenant, session, i18n, response } = ctx
  const body = request.all()
  const channels = await whatsappChannels(ctx)
  const channelIds = channels.map((channel) => channel.id)
  let saved: { id: string; name: string }
  if (kind === 'nudges') {
    const { input, errors } = nudgeRuleFrom(body)
    if (Object.keys(errors).length) return renderForm(ctx, kind, id, body, errors, 422)
    saved = await saveNudgeRule(tenant, id, input)
  } else if (kind === 'reminders') {
    const fields = await dateFieldsOf(tenant)
    const dateFields = fields.map((field) => field.key)
    const { input, errors } = dateRuleFrom(body, { dateFields, channelIds })
    if (Object.keys(errors).length) return renderForm(ctx, kind, id, body, errors, 422)
    saved = await saveDateRule(tenant, id, input)
  } else {
    const { input, errors } = checkinPlanFrom(body, { channelIds })
    if (Object.keys(errors).length) return renderForm(ctx, kind, id, body, errors, 422)
    saved = await saveCheckinPlan(tenant, id, input)
  }
  session.flash('success', i18n.t('outreach.flash.saved', { name: saved.name }))
  const base = workspaceLayout(ctx, 'outreach').base
  return response.redirect(
    kind === 'checkins' ? `${base}/outreach/checkins/${saved.id}/coach` : `${base}/outreach`
  )
}

async function renderForm(
  ctx: HttpContext,
  kind: Kind,
  id: string | null,
  entry: Record<string, unknown>,
  errors: FormErrors,
  status = 200
) {
  const channels = await whatsappChannels(ctx)
  const dateFields = kind === 'reminders' ? await dateFieldsOf(ctx.tenant) : []
  ctx.response.status(status)
  const days = Array.isArray(entry.days)
    ? entry.days.map(Number)
    : entry.days === undefined
      ? []
      : [Number(entry.days)]
  return ctx.view.render(`pulse::outreach/${kind}_form`, {
    ...workspaceLayout(ctx, 'outreach'),
    id,
    entry: { ...entry, days },
    errors,
    channels: channels.map((channel) => ({ value: channel.id, label: channel.name })),
    dateFields: dateFields.map((field) => ({ value: field.key, label: field.label })),
  })
}
