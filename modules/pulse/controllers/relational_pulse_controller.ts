import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { can } from '#modules/identity/index'
import { channelsOf } from '#modules/channels/index'
import {
  approveAllDrafts,
  approveDraft,
  listDrafts,
  readPulseSettings,
  savePulseSettings,
  skipDraft,
} from '../services/relational_pulse_service.js'
import { pulseSettingsFrom, type FormErrors } from '../validators/outreach_validator.js'

/**
 * The weekly Relational Pulse: its settings, and this week's drafts as a
 * batch the team approves all at once, edits one by one, or skips. Each
 * draft is a hitl task, so the task inbox can decide it too.
 */
export default class RelationalPulseController {
  async show(ctx: HttpContext) {
    await ctx.bouncer.with('OutreachPolicy').authorize('view', ctx.access)
    const settings = await readPulseSettings(ctx.tenant)
    return render(ctx, settingsEntry(settings), {})
  }

  async update(ctx: HttpContext) {
    const { bouncer, access, tenant, request, session, i18n, response } = ctx
    await bouncer.with('OutreachPolicy').authorize('manage', access)
    const channels = await whatsappChannels(ctx)
    const body = request.all()
    const { input, errors } = pulseSettingsFrom(body, { channelIds: channels.map((c) => c.value) })
    if (Object.keys(errors).length) return render(ctx, body, errors, 422)
    await savePulseSettings(tenant, input)
    session.flash('success', i18n.t('outreach.pulse.saved'))
    return response.redirect(`${workspaceLayout(ctx, 'outreach').base}/outreach/pulse`)
  }

  async approveAll(ctx: HttpContext) {
    const { bouncer, access, tenant, session, i18n, response, auth } = ctx
    await bouncer.with('OutreachPolicy').authorize('coach', access)
    const count = await approveAllDrafts(tenant, actorOf(ctx), auth.user!.name)
    session.flash('success', i18n.t('outreach.pulse.approved_all', { count }))
    return response.redirect(`${workspaceLayout(ctx, 'outreach').base}/outreach/pulse`)
  }

  async approve(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request, session, i18n, response, auth } = ctx
    await bouncer.with('OutreachPolicy').authorize('coach', access)
    const text = String(request.input('text') ?? '')
      .trim()
      .slice(0, 1000)
    const done = await approveDraft(tenant, params.id, text || null, actorOf(ctx), auth.user!.name)
    session.flash(
      done ? 'success' : 'error',
      i18n.t(done ? 'outreach.pulse.approved' : 'outreach.pulse.already')
    )
    return response.redirect(`${workspaceLayout(ctx, 'outreach').base}/outreach/pulse`)
  }

  async skip(ctx: HttpContext) {
    const { bouncer, access, tenant, params, session, i18n, response, auth } = ctx
    await bouncer.with('OutreachPolicy').authorize('coach', access)
    const done = await skipDraft(tenant, params.id, actorOf(ctx), auth.user!.name)
    session.flash(
      done ? 'success' : 'error',
      i18n.t(done ? 'outreach.pulse.skipped' : 'outreach.pulse.already')
    )
    return response.redirect(`${workspaceLayout(ctx, 'outreach').base}/outreach/pulse`)
  }
}

function actorOf(ctx: HttpContext) {
  return {
    userId: ctx.auth.user!.id,
    label: ctx.auth.user!.email,
    source: ctx.request.ip(),
    userAgent: ctx.request.header('user-agent') ?? null,
  }
}

async function whatsappChannels(ctx: HttpContext) {
  const channels = await channelsOf(ctx.tenant.id)
  return channels
    .filter((channel) => channel.type === 'whatsapp')
    .map((channel) => ({ value: channel.id, label: channel.name }))
}

function settingsEntry(settings: Awaited<ReturnType<typeof readPulseSettings>>) {
  return {
    enabled: settings.enabled,
    weekday: String(settings.weekday),
    local_time: settings.localTime,
    tag: settings.tag,
    requires_approval: settings.requiresApproval,
    instructions: settings.instructions ?? '',
    channel_id: settings.channelId ?? '',
    template_name: settings.templateName ?? '',
    template_language: settings.templateLanguage ?? '',
    template_variables: settings.templateVariables.join('\n'),
  }
}

async function render(
  ctx: HttpContext,
  entry: Record<string, unknown>,
  errors: FormErrors,
  status = 200
) {
  const drafts = await listDrafts(ctx.tenant)
  ctx.response.status(status)
  return ctx.view.render('pulse::outreach/pulse', {
    ...workspaceLayout(ctx, 'outreach'),
    entry,
    errors,
    channels: await whatsappChannels(ctx),
    waiting: drafts.filter((draft) => draft.status === 'awaiting_approval'),
    done: drafts.filter((draft) => draft.status !== 'awaiting_approval').slice(0, 50),
    canManage: can(ctx.access, 'outreach.manage'),
    canReview: can(ctx.access, 'outreach.coach'),
  })
}
