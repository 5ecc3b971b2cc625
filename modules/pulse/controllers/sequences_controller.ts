import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { workspaceLayout } from '#modules/tenancy/index'
import { can } from '#modules/identity/index'
import { channelsOf } from '#modules/channels/index'
import { contactById, listContacts } from '#modules/inbox/index'
import {
  SEQUENCE_STATUSES,
  SequenceError,
  createSequence,
  findSequenceOrFail,
  listSequences,
  setSequenceStatus,
  updateSequence,
  type Sequence,
  type SequenceInput,
  type SequenceStatus,
} from '../services/sequence_service.js'
import { STEP_TYPES, WAIT_UNITS, CONDITION_ON, CONDITION_OPS } from '../services/sequence_steps.js'
import type { Step } from '../services/sequence_steps.js'
import { dryRunSequence } from '../services/sequence_dry_run.js'
import { listSegments } from '../services/segment_service.js'
import { clockText } from '../services/campaign_schedule.js'
import { WEEKDAYS } from '../services/local_time.js'
import { applyOp, editorRows, sendPreviews, treeFromRows } from '../presenters/sequence_editor.js'

interface FormState {
  name: string
  status: SequenceStatus
  channelId: string
  labels: string
  keywords: string
  segmentIds: string[]
  exitOnReply: boolean
  goalLabel: string
  goalField: string
  goalValue: string
  reentry: 'never' | 'after_cooldown'
  cooldownDays: string
  quietStart: string
  quietEnd: string
  steps: Step[]
}

/**
 * Sequences' workspace pages: the list, the editor (settings and the steps
 * as a list with their branches, plain forms; htmx only swaps the page
 * body), the preview of each send step, and a dry run on one contact.
 * Everyone sees them; admins and owners build them (as the engine's
 * enrollment forms and the campaigns: CampaignsPolicy).
 */
export default class SequencesController {
  async index(ctx: HttpContext) {
    const { bouncer, view, access, tenant } = ctx
    await bouncer.with('CampaignsPolicy').authorize('view', access)
    const sequences = await listSequences(tenant)
    return view.render('pulse::sequences/index', {
      ...workspaceLayout(ctx, 'sequences'),
      sequences: sequences.map((s) => ({
        ...s,
        enrolledCount: s.activeCount + s.completedCount,
        trigger: triggerSummary(s),
      })),
      canManage: can(access, 'campaigns.manage'),
    })
  }

  async create(ctx: HttpContext) {
    await ctx.bouncer.with('CampaignsPolicy').authorize('manage', ctx.access)
    return render(ctx, null, blankForm(), {})
  }

  async store(ctx: HttpContext) {
    const { bouncer, access, tenant, request, response, session, i18n } = ctx
    await bouncer.with('CampaignsPolicy').authorize('manage', access)
    const form = formOf(request.all())
    const op = String(request.input('op') ?? '')
    if (op)
      return render(
        ctx,
        null,
        { ...form, steps: applyOp(form.steps, op, String(request.input('new_type') ?? '')) },
        {}
      )
    try {
      const sequence = await createSequence(tenant, {
        ...inputOf(form),
        createdBy: ctx.auth.user?.id ?? null,
      })
      if (form.status !== 'draft') await setSequenceStatus(tenant, sequence.id, form.status)
      session.flash('success', i18n.t('pulse.sequences.pages.flash.saved'))
      return response.redirect(`${workspaceLayout(ctx, 'sequences').base}/sequences/${sequence.id}`)
    } catch (error) {
      if (!(error instanceof SequenceError)) throw error
      return render(ctx, null, form, error.fields, 422)
    }
  }

  async edit(ctx: HttpContext) {
    const { bouncer, access, tenant, params } = ctx
    await bouncer.with('CampaignsPolicy').authorize('view', access)
    const sequence = await findSequenceOrFail(tenant, params.id)
    return render(ctx, sequence, formFrom(sequence), {})
  }

  async update(ctx: HttpContext) {
    const { bouncer, access, tenant, request, response, session, i18n, params } = ctx
    await bouncer.with('CampaignsPolicy').authorize('manage', access)
    const sequence = await findSequenceOrFail(tenant, params.id)
    const form = formOf(request.all())
    const op = String(request.input('op') ?? '')
    if (op)
      return render(
        ctx,
        sequence,
        { ...form, steps: applyOp(form.steps, op, String(request.input('new_type') ?? '')) },
        {}
      )
    try {
      await updateSequence(tenant, sequence.id, inputOf(form))
      if (form.status !== sequence.status) await setSequenceStatus(tenant, sequence.id, form.status)
      session.flash('success', i18n.t('pulse.sequences.pages.flash.saved'))
      return response.redirect(`${workspaceLayout(ctx, 'sequences').base}/sequences/${sequence.id}`)
    } catch (error) {
      if (!(error instanceof SequenceError)) throw error
      return render(ctx, sequence, form, error.fields, 422)
    }
  }

  /** Pick a contact (search by name or phone); with one, what would be sent when, in its zone. */
  async dryRun(ctx: HttpContext) {
    const { bouncer, access, tenant, params, request, view } = ctx
    await bouncer.with('CampaignsPolicy').authorize('view', access)
    const sequence = await findSequenceOrFail(tenant, params.id)
    const layout = workspaceLayout(ctx, 'sequences')
    const q = String(request.input('q') ?? '')
      .trim()
      .slice(0, 100)
    const contactId = String(request.input('contact_id') ?? '')
    const found = q ? await listContacts(tenant, { q, tag: '', optIn: 'all', page: 1 }, '') : null
    const matches = found ? found.all().slice(0, 10) : []
    const contact = /^[0-9a-f-]{36}$/i.test(contactId) ? await contactById(tenant, contactId) : null
    let run = null
    if (contact) {
      const zone = contact.timeZone || 'UTC'
      const result = await dryRunSequence(tenant, sequence.id, contact.id)
      run = {
        zone,
        exit: result.exit,
        entries: result.entries.map((entry) => ({
          ...entry,
          when: entry.at.setZone(zone).toFormat('yyyy-MM-dd HH:mm'),
          detailText: detailOf(ctx, entry.action, entry.detail, zone),
        })),
      }
    }
    return view.render('pulse::sequences/dry_run', {
      ...layout,
      sequence,
      q,
      matches: matches.map((c) => ({ id: c.id, name: c.name || c.phone || c.id, phone: c.phone })),
      contact,
      run,
    })
  }
}

/** An entry's detail as a person reads it (times in the contact's zone, branch names translated). */
function detailOf(ctx: HttpContext, action: string, detail: Record<string, any>, zone: string) {
  const t = (key: string) => ctx.i18n.t(key)
  switch (action) {
    case 'send_template': {
      const vars = (detail.variables ?? []) as string[]
      return `${detail.template} (${detail.language})${vars.length ? ' · ' + vars.map((v, i) => `#${i + 1} = ${v}`).join(' · ') : ''}`
    }
    case 'skip':
      return t(`pulse.sequences.reasons.${detail.reason}`)
    case 'wait':
    case 'wait_reply':
      return (
        `→ ${DateTime.fromISO(String(detail.until)).setZone(zone).toFormat('yyyy-MM-dd HH:mm')}` +
        (action === 'wait_reply' ? ` · ${t('pulse.sequences.pages.branches.timeout')}` : '')
      )
    case 'branch':
      return t(`pulse.sequences.pages.branches.${detail.branch}`)
    case 'label':
      return `${detail.add ? '+' : '−'} ${detail.label}`
    case 'field':
      return `${detail.key} = ${detail.value}`
    case 'task':
      return String(detail.title ?? '')
    case 'handoff':
      return String(detail.note ?? '')
    default:
      return ''
  }
}

function triggerSummary(s: Sequence) {
  const parts: string[] = []
  if (s.triggers.labels.length) parts.push(`label: ${s.triggers.labels.join(', ')}`)
  if (s.triggers.keywords.length) parts.push(`keyword: ${s.triggers.keywords.join(', ')}`)
  if (s.triggers.segment_ids.length) parts.push(`segments: ${s.triggers.segment_ids.length}`)
  if (s.triggers.campaign_ids.length) parts.push(`campaigns: ${s.triggers.campaign_ids.length}`)
  return parts.join(' · ')
}

function blankForm(): FormState {
  return {
    name: '',
    status: 'draft',
    channelId: '',
    labels: '',
    keywords: '',
    segmentIds: [],
    exitOnReply: true,
    goalLabel: '',
    goalField: '',
    goalValue: '',
    reentry: 'never',
    cooldownDays: '0',
    quietStart: '21:00',
    quietEnd: '09:00',
    steps: [],
  }
}

function formFrom(s: Sequence): FormState {
  return {
    name: s.name,
    status: s.status,
    channelId: s.channelId ?? '',
    labels: s.triggers.labels.join(', '),
    keywords: s.triggers.keywords.join(', '),
    segmentIds: s.triggers.segment_ids,
    exitOnReply: s.exitOnReply,
    goalLabel: s.goal?.label ?? '',
    goalField: s.goal?.field ?? '',
    goalValue: s.goal?.value ?? '',
    reentry: s.reentry,
    cooldownDays: String(s.cooldownDays),
    quietStart: s.quietStart === null ? '' : clockText(s.quietStart),
    quietEnd: s.quietEnd === null ? '' : clockText(s.quietEnd),
    steps: s.steps,
  }
}

const s = (value: unknown, max = 200) =>
  typeof value === 'string' ? value.trim().slice(0, max) : ''

function formOf(body: Record<string, any>): FormState {
  const segments = Array.isArray(body.segment_ids)
    ? body.segment_ids
    : body.segment_ids
      ? [body.segment_ids]
      : []
  return {
    name: s(body.name, 200),
    status: (SEQUENCE_STATUSES as readonly string[]).includes(body.status) ? body.status : 'draft',
    channelId: s(body.channel_id, 36),
    labels: s(body.labels, 1000),
    keywords: s(body.keywords, 1000),
    segmentIds: segments.map((v: unknown) => s(v, 36)),
    exitOnReply: body.exit_on_reply === '1' || body.exit_on_reply === 'on',
    goalLabel: s(body.goal_label, 64),
    goalField: s(body.goal_field, 64),
    goalValue: s(body.goal_value, 512),
    reentry: body.reentry === 'after_cooldown' ? 'after_cooldown' : 'never',
    cooldownDays: s(body.cooldown_days, 10),
    quietStart: s(body.quiet_start, 5),
    quietEnd: s(body.quiet_end, 5),
    steps: treeFromRows(body.steps),
  }
}

function inputOf(form: FormState): SequenceInput {
  return {
    name: form.name,
    channelId: form.channelId || null,
    steps: form.steps,
    triggers: {
      labels: form.labels.split(','),
      keywords: form.keywords.split(','),
      segment_ids: form.segmentIds,
    },
    exitOnReply: form.exitOnReply,
    goal: form.goalLabel
      ? { label: form.goalLabel }
      : form.goalField
        ? { field: form.goalField, value: form.goalValue }
        : null,
    reentry: form.reentry,
    cooldownDays: form.cooldownDays === '' ? 0 : Number(form.cooldownDays),
    quiet: { start: form.quietStart || null, end: form.quietEnd || null },
  }
}

async function render(
  ctx: HttpContext,
  sequence: Sequence | null,
  form: FormState,
  errors: Record<string, string>,
  status = 200
) {
  const { tenant, view, response, access } = ctx
  const allChannels = await channelsOf(tenant.id)
  const channels = allChannels.filter((c) => c.type === 'whatsapp')
  const segments = await listSegments(tenant)
  const sequences = await listSequences(tenant)
  const others = sequences.filter((x) => x.id !== sequence?.id)
  response.status(status)
  return view.render('pulse::sequences/edit', {
    ...workspaceLayout(ctx, 'sequences'),
    sequence,
    form,
    errors,
    rows: editorRows(form.steps),
    previews: sendPreviews(form.steps),
    channels,
    segments,
    others,
    canManage: can(access, 'campaigns.manage'),
    stepTypes: STEP_TYPES,
    waitUnits: WAIT_UNITS,
    conditionOn: CONDITION_ON,
    conditionOps: CONDITION_OPS,
    weekdays: WEEKDAYS,
    statuses: SEQUENCE_STATUSES,
    placeholderExample: '{{contact.name|there}}',
  })
}
