import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { workspaceLayout } from '#modules/tenancy/index'
import { can } from '#modules/identity/index'
import {
  approvedTemplatesOf,
  channelsOf,
  ChannelError,
  type MessageTemplate,
} from '#modules/channels/index'
import { wantsFragment } from '#app/http/htmx'
import type Campaign from '../models/campaign.js'
import type { CampaignAudience } from '../models/campaign.js'
import {
  CampaignError,
  audienceCount,
  campaignBreakdown,
  campaignStats,
  cancelCampaign,
  createCampaign,
  findCampaignOrFail,
  launchCampaign,
  listCampaigns,
  pauseCampaign,
  recipientsPage,
  resumeCampaign,
  retryFailed,
  updateCampaign,
  RECIPIENT_STATUSES,
  type CampaignInput,
} from '../services/campaign_service.js'
import { listSegments } from '../services/segment_service.js'
import { clockMinutes, clockText, DEFAULT_QUIET } from '../services/campaign_schedule.js'
import { sendTestMessage } from '../services/campaign_test_send.js'
import { readCampaignSettings, saveCampaignSettings } from '../services/campaign_settings.js'
import { recipientCsvLine, RECIPIENT_CSV_COLUMNS } from '../presenters/campaign_presenter.js'

const RECIPIENTS_PER_PAGE = 50
const LIVE = new Set(['running', 'scheduled'])

/** The form as posted (and as shown again): plain strings, checked by the service. */
interface FormState {
  name: string
  channelId: string
  template: string
  variables: Record<string, string>
  audienceType: 'segment' | 'labels'
  segmentId: string
  labels: string
  schedule: 'now' | 'at' | 'local'
  scheduleAt: string
  quietStart: string
  quietEnd: string
  allowUnknown: boolean
  requiresApproval: boolean
}

/**
 * Campaigns: the list, the form (template variables mapped to contact
 * fields, with the audience counted live as it changes: htmx posts the form
 * to /campaigns/form; without JavaScript its Update button does the same
 * with a full page), and the detail page with the funnel (polled while the
 * campaign runs), the recipients with filters and their CSV, and the
 * actions (launch, pause, resume, cancel, retry failed, test send).
 */
export default class CampaignsController {
  async index(ctx: HttpContext) {
    const { bouncer, access, tenant, view } = ctx
    await bouncer.with('CampaignsPolicy').authorize('view', access)
    const campaigns = await listCampaigns(tenant)
    const stats = await Promise.all(campaigns.map((c) => campaignStats(tenant, c.id)))
    return view.render('pulse::campaigns/index', {
      ...workspaceLayout(ctx, 'campaigns'),
      rows: campaigns.map((campaign, i) => ({ campaign, stats: stats[i] })),
      canManage: can(access, 'campaigns.manage'),
    })
  }

  async create(ctx: HttpContext) {
    await ctx.bouncer.with('CampaignsPolicy').authorize('manage', ctx.access)
    return renderForm(ctx, null, emptyState())
  }

  /** The live part of the form (variables, preview, audience count), or the whole form without htmx. */
  async form(ctx: HttpContext) {
    await ctx.bouncer.with('CampaignsPolicy').authorize('manage', ctx.access)
    const state = stateFrom(ctx.request.all())
    const campaignId = String(ctx.request.input('campaign_id') ?? '')
    const campaign = campaignId ? await findCampaignOrFail(ctx.tenant, campaignId) : null
    for (const part of ['live', 'vars']) {
      if (wantsFragment(ctx.request, `campaign-${part}`)) {
        const model = await formModel(ctx, state, {})
        const base = workspaceLayout(ctx, 'campaigns').base
        return ctx.view.render(`pulse::campaigns/_${part}`, { ...model, base })
      }
    }
    return renderForm(ctx, campaign, state)
  }

  async store(ctx: HttpContext) {
    const { bouncer, access, request, response, session, i18n, tenant, auth } = ctx
    await bouncer.with('CampaignsPolicy').authorize('manage', access)
    const state = await allowedState(ctx, stateFrom(request.all()))
    try {
      const campaign = await createCampaign(tenant, {
        ...inputFrom(state),
        createdBy: auth.user?.id ?? null,
      })
      session.flash('success', i18n.t('pulse.campaigns.flash.created', { name: campaign.name }))
      return response.redirect(`${workspaceLayout(ctx, 'campaigns').base}/campaigns/${campaign.id}`)
    } catch (error) {
      if (!(error instanceof CampaignError)) throw error
      return renderForm(ctx, null, state, error.fields, 422)
    }
  }

  async edit(ctx: HttpContext) {
    await ctx.bouncer.with('CampaignsPolicy').authorize('manage', ctx.access)
    const campaign = await findCampaignOrFail(ctx.tenant, ctx.params.id)
    return renderForm(ctx, campaign, stateOf(campaign))
  }

  async update(ctx: HttpContext) {
    const { bouncer, access, request, response, session, i18n, tenant, params } = ctx
    await bouncer.with('CampaignsPolicy').authorize('manage', access)
    const campaign = await findCampaignOrFail(tenant, params.id)
    const state = await allowedState(ctx, stateFrom(request.all()))
    try {
      await updateCampaign(tenant, campaign.id, inputFrom(state))
      session.flash('success', i18n.t('pulse.campaigns.flash.saved', { name: state.name }))
      return response.redirect(`${workspaceLayout(ctx, 'campaigns').base}/campaigns/${campaign.id}`)
    } catch (error) {
      if (!(error instanceof CampaignError)) throw error
      return renderForm(ctx, campaign, state, error.fields, error.status)
    }
  }

  /** The workspace's campaign rules: "not asked" consent allowed, approval for every campaign. */
  async settings(ctx: HttpContext) {
    await ctx.bouncer.with('CampaignsPolicy').authorize('manage', ctx.access)
    const settings = await readCampaignSettings(ctx.tenant)
    return renderSettings(ctx, settings, {})
  }

  async saveSettings(ctx: HttpContext) {
    const { bouncer, access, request, response, session, i18n, tenant } = ctx
    await bouncer.with('CampaignsPolicy').authorize('manage', access)
    const body = request.all()
    const errors: Record<string, string> = {}
    const flag = (name: string) => {
      const value = body[name]
      if (value === undefined || value === null || value === '' || value === '0') return false
      if (value === '1' || value === 'on' || value === 'true' || value === true) return true
      errors[name] = i18n.t('pulse.campaigns.settings.invalid_choice')
      return false
    }
    const settings = {
      allowUnknownConsent: flag('allow_unknown_consent'),
      requireApproval: flag('require_approval'),
    }
    if (Object.keys(errors).length) return renderSettings(ctx, settings, errors, 422)
    await saveCampaignSettings(tenant, settings)
    session.flash('success', i18n.t('pulse.campaigns.settings.saved'))
    return response.redirect(`${workspaceLayout(ctx, 'campaigns').base}/campaigns/settings`)
  }

  async show(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request, view } = ctx
    await bouncer.with('CampaignsPolicy').authorize('view', access)
    const campaign = await findCampaignOrFail(tenant, params.id)
    const filters = recipientFilters(request.qs())
    const after = Number(request.qs().after ?? 0) || 0
    const rows = await recipientsPage(tenant, campaign.id, filters, {
      afterId: after,
      limit: RECIPIENTS_PER_PAGE + 1,
    })
    const layout = workspaceLayout(ctx, 'campaigns')
    const funnel = await funnelModel(ctx, campaign)
    const query = new URLSearchParams(
      Object.entries({
        status: filters.status ?? '',
        reason: filters.reason ?? '',
        code: filters.code ?? '',
      })
        .filter(([, v]) => v !== '')
        .map(([k, v]) => [k, String(v)] as [string, string])
    ).toString()
    return view.render('pulse::campaigns/show', {
      ...layout,
      campaign,
      ...funnel,
      recipients: rows.slice(0, RECIPIENTS_PER_PAGE),
      nextAfter: rows.length > RECIPIENTS_PER_PAGE ? rows[RECIPIENTS_PER_PAGE - 1].id : null,
      filters,
      query,
      statuses: [
        ...RECIPIENT_STATUSES.filter((s) => s !== 'sending' && s !== 'accepted'),
        'replied',
      ],
      canManage: can(access, 'campaigns.manage'),
      testPhone: String(ctx.session.flashMessages.get('test_phone') ?? ''),
    })
  }

  /** The funnel alone, for the detail page's polling while the campaign runs. */
  async funnel(ctx: HttpContext) {
    await ctx.bouncer.with('CampaignsPolicy').authorize('view', ctx.access)
    const campaign = await findCampaignOrFail(ctx.tenant, ctx.params.id)
    const state = {
      ...(await funnelModel(ctx, campaign)),
      campaign,
      base: workspaceLayout(ctx, 'campaigns').base,
      canManage: can(ctx.access, 'campaigns.manage'),
      oob: true,
    }
    // The actions follow the status (out of band): a finished or paused campaign's buttons change.
    const funnel = await ctx.view.render('pulse::campaigns/_funnel', state)
    const actions = state.canManage ? await ctx.view.render('pulse::campaigns/_actions', state) : ''
    return funnel + actions
  }

  /** Every recipient matching the filters as CSV, written a page at a time. */
  async exportCsv(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request, response } = ctx
    await bouncer.with('CampaignsPolicy').authorize('view', access)
    const campaign = await findCampaignOrFail(tenant, params.id)
    const filters = recipientFilters(request.qs())
    const chunks: string[] = [RECIPIENT_CSV_COLUMNS.join(',') + '\r\n']
    let after = 0
    for (;;) {
      const rows = await recipientsPage(tenant, campaign.id, filters, {
        afterId: after,
        limit: 1000,
      })
      for (const row of rows) chunks.push(recipientCsvLine(row))
      if (rows.length < 1000) break
      after = rows[rows.length - 1].id
    }
    const name = campaign.name.replace(/[^\w-]+/g, '_').slice(0, 60) || 'campaign'
    response.header('content-type', 'text/csv; charset=utf-8')
    response.header('content-disposition', `attachment; filename="${name}-recipients.csv"`)
    return chunks.join('')
  }

  async launch(ctx: HttpContext) {
    return act(ctx, 'launched', (tenant, id) => launchCampaign(tenant, id))
  }

  async pause(ctx: HttpContext) {
    return act(ctx, 'paused', pauseCampaign)
  }

  async resume(ctx: HttpContext) {
    return act(ctx, 'resumed', resumeCampaign)
  }

  async cancel(ctx: HttpContext) {
    return act(ctx, 'cancelled', cancelCampaign)
  }

  async retry(ctx: HttpContext) {
    const { bouncer, access, tenant, params, session, i18n, response } = ctx
    await bouncer.with('CampaignsPolicy').authorize('manage', access)
    const campaign = await findCampaignOrFail(tenant, params.id)
    try {
      const count = await retryFailed(tenant, campaign.id)
      session.flash('success', i18n.t('pulse.campaigns.flash.retried', { count }))
    } catch (error) {
      if (!(error instanceof CampaignError)) throw error
      session.flash('error', i18n.t('pulse.campaigns.flash.not_now'))
    }
    return response.redirect(`${workspaceLayout(ctx, 'campaigns').base}/campaigns/${campaign.id}`)
  }

  async testSend(ctx: HttpContext) {
    const { bouncer, access, tenant, params, session, i18n, response, request } = ctx
    await bouncer.with('CampaignsPolicy').authorize('manage', access)
    const campaign = await findCampaignOrFail(tenant, params.id)
    const phone = String(request.input('phone') ?? '')
    try {
      await sendTestMessage(tenant, campaign, phone)
      session.flash('success', i18n.t('pulse.campaigns.flash.test_sent', { phone }))
    } catch (error) {
      if (!(error instanceof CampaignError) && !(error instanceof ChannelError)) throw error
      session.flash('error', i18n.t('pulse.campaigns.flash.test_failed'))
      session.flash('test_phone', phone)
    }
    return response.redirect(`${workspaceLayout(ctx, 'campaigns').base}/campaigns/${campaign.id}`)
  }
}

/** A posted form keeps "not asked" only while the workspace allows it. */
async function allowedState(ctx: HttpContext, state: FormState) {
  if (!state.allowUnknown) return state
  const settings = await readCampaignSettings(ctx.tenant)
  return { ...state, allowUnknown: settings.allowUnknownConsent }
}

function renderSettings(
  ctx: HttpContext,
  settings: { allowUnknownConsent: boolean; requireApproval: boolean },
  errors: Record<string, string>,
  status = 200
) {
  ctx.response.status(status)
  return ctx.view.render('pulse::campaigns/settings', {
    ...workspaceLayout(ctx, 'campaigns'),
    settings,
    errors,
  })
}

async function act(
  ctx: HttpContext,
  what: string,
  change: (tenant: HttpContext['tenant'], id: string) => Promise<Campaign>
) {
  const { bouncer, access, tenant, params, session, i18n, response } = ctx
  await bouncer.with('CampaignsPolicy').authorize('manage', access)
  const campaign = await findCampaignOrFail(tenant, params.id)
  try {
    const changed = await change(tenant, campaign.id)
    const key = changed.status === 'awaiting_approval' ? 'awaiting_approval' : what
    session.flash('success', i18n.t(`pulse.campaigns.flash.${key}`, { name: campaign.name }))
  } catch (error) {
    if (!(error instanceof CampaignError)) throw error
    session.flash('error', i18n.t('pulse.campaigns.flash.not_now'))
  }
  return response.redirect(`${workspaceLayout(ctx, 'campaigns').base}/campaigns/${campaign.id}`)
}

function recipientFilters(qs: Record<string, any>) {
  const statuses: string[] = [...RECIPIENT_STATUSES, 'replied']
  const status = statuses.includes(String(qs.status)) ? String(qs.status) : null
  const reason = typeof qs.reason === 'string' && qs.reason ? qs.reason.slice(0, 64) : null
  const code = /^\d{1,9}$/.test(String(qs.code ?? '')) ? Number(qs.code) : null
  return { status, reason, code }
}

async function funnelModel(ctx: HttpContext, campaign: Campaign) {
  const [stats, breakdown] = await Promise.all([
    campaignStats(ctx.tenant, campaign.id),
    campaignBreakdown(ctx.tenant, campaign.id),
  ])
  return { stats, breakdown, live: LIVE.has(campaign.status) }
}

function emptyState(): FormState {
  return {
    name: '',
    channelId: '',
    template: '',
    variables: {},
    audienceType: 'segment',
    segmentId: '',
    labels: '',
    schedule: 'now',
    scheduleAt: '',
    quietStart: clockText(DEFAULT_QUIET.start),
    quietEnd: clockText(DEFAULT_QUIET.end),
    allowUnknown: false,
    requiresApproval: false,
  }
}

function stateOf(campaign: Campaign): FormState {
  const audience = campaign.audience as Record<string, any>
  return {
    name: campaign.name,
    channelId: campaign.channelId,
    template: `${campaign.templateName}::${campaign.templateLanguage}`,
    variables: { ...campaign.variables },
    audienceType: 'labels' in audience ? 'labels' : 'segment',
    segmentId: audience.segment_id ?? '',
    labels: (audience.labels ?? []).join(', '),
    schedule: campaign.localAt ? 'local' : campaign.scheduleAt ? 'at' : 'now',
    scheduleAt:
      campaign.localAt ?? campaign.scheduleAt?.toUTC().toFormat("yyyy-MM-dd'T'HH:mm") ?? '',
    quietStart: clockText(campaign.quietStart),
    quietEnd: clockText(campaign.quietEnd),
    allowUnknown: campaign.allowUnknownConsent,
    requiresApproval: campaign.requiresApproval,
  }
}

function stateFrom(body: Record<string, any>): FormState {
  const text = (value: unknown, max = 500) =>
    typeof value === 'string' ? value.trim().slice(0, max) : ''
  const variables: Record<string, string> = {}
  for (const [key, value] of Object.entries(body)) {
    const match = key.match(/^var_(\d{1,2})$/)
    if (match && typeof value === 'string') variables[match[1]] = value.slice(0, 1024)
  }
  return {
    name: text(body.name, 120),
    channelId: text(body.channel_id, 36),
    template: text(body.template, 600),
    variables,
    audienceType: body.audience_type === 'labels' ? 'labels' : 'segment',
    segmentId: text(body.segment_id, 36),
    labels: text(body.labels, 1000),
    schedule: body.schedule === 'at' || body.schedule === 'local' ? body.schedule : 'now',
    scheduleAt: text(body.schedule_at, 20),
    quietStart: text(body.quiet_start, 5),
    quietEnd: text(body.quiet_end, 5),
    allowUnknown: Boolean(body.allow_unknown),
    requiresApproval: Boolean(body.requires_approval),
  }
}

function labelsOf(text: string) {
  return [
    ...new Set(
      text
        .split(',')
        .map((label) => label.trim())
        .filter(Boolean)
    ),
  ].slice(0, 20)
}

function inputFrom(state: FormState): CampaignInput {
  const [name, language] = state.template.split('::')
  const audience: CampaignAudience =
    state.audienceType === 'labels'
      ? { labels: labelsOf(state.labels) }
      : { segment_id: state.segmentId }
  const at = state.scheduleAt ? DateTime.fromISO(state.scheduleAt, { zone: 'utc' }) : null
  if (state.schedule !== 'now' && !at?.isValid) {
    throw new CampaignError('validation_failed', 'The campaign is invalid', {
      schedule_at: 'Give a date and time',
    })
  }
  if (!state.name) {
    throw new CampaignError('validation_failed', 'The campaign is invalid', {
      name: 'Give the campaign a name',
    })
  }
  const start = clockMinutes(state.quietStart)
  const end = clockMinutes(state.quietEnd)
  return {
    name: state.name,
    channelId: state.channelId,
    template: { name: name ?? '', language: language ?? '', variables: nonEmpty(state.variables) },
    audience,
    scheduleAt: state.schedule === 'now' ? null : at,
    localTime: state.schedule === 'local',
    quiet: start === null || end === null ? { start: null, end: null } : { start, end },
    allowUnknownConsent: state.allowUnknown,
    requiresApproval: state.requiresApproval,
  }
}

function nonEmpty(variables: Record<string, string>) {
  return Object.fromEntries(Object.entries(variables).filter(([, v]) => v.trim() !== ''))
}

/** The body text with {{n}} replaced by what each variable maps to. */
function previewOf(template: MessageTemplate | undefined, variables: Record<string, string>) {
  const body = template?.components.find((c) => c.type === 'BODY')?.text
  if (typeof body !== 'string') return null
  return body.replace(/\{\{(\d+)\}\}/g, (whole: string, n: string) => variables[n] || whole)
}

async function formModel(ctx: HttpContext, state: FormState, errors: Record<string, string>) {
  const { tenant } = ctx
  const all = await channelsOf(tenant.id)
  const channels = all.filter((c) => c.type === 'whatsapp')
  const channelId = state.channelId || channels[0]?.id || ''
  const templates = channelId ? await approvedTemplatesOf(tenant, channelId) : []
  const key = (t: MessageTemplate) => `${t.name}::${t.language}`
  const template = templates.find((t) => key(t) === state.template) ?? templates[0]
  const segments = await listSegments(tenant)
  let count: number | null = null
  try {
    const audience: CampaignAudience =
      state.audienceType === 'labels'
        ? { labels: labelsOf(state.labels) }
        : { segment_id: state.segmentId || segments[0]?.id || '' }
    const usable =
      'labels' in audience
        ? audience.labels.length > 0
        : segments.some((s) => s.id === audience.segment_id)
    count = usable ? await audienceCount(tenant, audience) : null
  } catch {
    count = null
  }
  const numbers = Array.from({ length: template?.bodyVariables ?? 0 }, (_, i) => ({
    n: String(i + 1),
    label: `{{${i + 1}}}`,
  }))
  return {
    entry: { ...state, channelId, template: template ? key(template) : '' },
    channels,
    templates: templates.map((t) => ({
      value: key(t),
      label: `${t.name} (${t.language}) · ${t.category}`,
    })),
    variableNumbers: numbers,
    placeholderExample: '{{contact.name|there}}',
    preview: previewOf(template, state.variables),
    marketing: template?.category === 'MARKETING',
    segments,
    count,
    errors,
    settings: await readCampaignSettings(tenant),
  }
}

async function renderForm(
  ctx: HttpContext,
  campaign: Campaign | null,
  state: FormState,
  errors: Record<string, string> = {},
  status = 200
) {
  ctx.response.status(status)
  return ctx.view.render('pulse::campaigns/edit', {
    ...workspaceLayout(ctx, 'campaigns'),
    campaign,
    ...(await formModel(ctx, state, errors)),
  })
}
