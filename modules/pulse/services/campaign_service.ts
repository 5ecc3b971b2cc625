import { Exception } from '@adonisjs/core/exceptions'
import { errors as lucidErrors } from '@adonisjs/lucid'
import emitter from '@adonisjs/core/services/emitter'
import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import { approvedTemplateOf, findTenantChannel } from '#modules/channels/index'
import { contactAudienceSql, listContactFields, type ContactFilter } from '#modules/inbox/index'
import Campaign, { type CampaignAudience, type CampaignStatus } from '../models/campaign.js'
import Segment from '../models/segment.js'
import { compileVariables, unknownFields } from './campaign_variables.js'
import { DEFAULT_QUIET, dueAtSql } from './campaign_schedule.js'
import { markRunning, newChain } from './campaign_lease.js'
import { campaignSettingsIn, readCampaignSettings } from './campaign_settings.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A campaign the rules refuse; `fields` by input name, for forms and the API. */
export class CampaignError extends Exception {
  constructor(
    code: string,
    message: string,
    readonly fields: Record<string, string> = {},
    status = 422
  ) {
    super(message, { code, status })
  }
}

export interface CampaignInput {
  name: string
  channelId: string
  template: { name: string; language: string; variables: Record<string, string> }
  audience: CampaignAudience
  /** Sent at this moment (or, with localTime, at this wall-clock time in each contact's zone). */
  scheduleAt?: DateTime | null
  localTime?: boolean
  quiet?: { start: number | null; end: number | null }
  allowUnknownConsent?: boolean
  requiresApproval?: boolean
  createdBy?: string | null
}

/** Recipient statuses past which a failure no longer applies (the person has it). */
export const RECIPIENT_STATUSES = [
  'queued',
  'sending',
  'accepted',
  'sent',
  'delivered',
  'read',
  'failed',
  'skipped',
] as const

export function listCampaigns(tenant: TenantContext) {
  return tenant.transaction((trx) =>
    Campaign.query({ client: trx }).orderBy('created_at', 'desc').orderBy('id')
  )
}

/** One of the tenant's campaigns, or E_ROW_NOT_FOUND (answered 404). */
export async function findCampaignOrFail(tenant: TenantContext, campaignId: string) {
  const campaign = UUID.test(campaignId)
    ? await tenant.transaction((trx) => Campaign.find(campaignId, { client: trx }))
    : null
  if (!campaign) throw new lucidErrors.E_ROW_NOT_FOUND()
  return campaign
}

/** Checks everything a campaign names against the workspace (throws CampaignError). */
async function checkInput(tenant: TenantContext, input: CampaignInput) {
  const fields: Record<string, string> = {}
  const channel = UUID.test(input.channelId)
    ? await findTenantChannel(tenant.id, input.channelId)
    : null
  if (!channel || channel.type !== 'whatsapp') {
    fields.channel_id = 'Choose one of the workspace’s WhatsApp channels'
  }
  const template = channel
    ? await approvedTemplateOf(tenant, channel.id, input.template.name, input.template.language)
    : null
  if (channel && !template) {
    fields['template.name'] = 'No approved template with this name and language on the channel'
  }
  if (template) {
    for (let n = 1; n <= template.bodyVariables; n++) {
      if (!input.template.variables[String(n)]?.trim()) {
        fields[`template.variables.${n}`] = `Map variable {{${n}}} to text or a contact field`
      }
    }
    for (const key of Object.keys(input.template.variables)) {
      const n = Number(key)
      if (!Number.isInteger(n) || n < 1 || n > template.bodyVariables) {
        fields[`template.variables.${key}`] =
          `The template has ${template.bodyVariables} variable(s)`
      }
    }
  }
  const defined = await listContactFields(tenant)
  const customKeys = defined.map((field) => field.key)
  const unknown = unknownFields(input.template.variables, customKeys)
  if (unknown.length) {
    fields['template.variables'] = `No such contact field: ${unknown.join(', ')}`
  }
  const audience = input.audience as Record<string, unknown>
  if ('segment_id' in audience) {
    const segment = UUID.test(String(audience.segment_id))
      ? await tenant.transaction((trx) =>
          Segment.find(String(audience.segment_id), { client: trx })
        )
      : null
    if (!segment) fields['audience.segment_id'] = 'No such segment'
  } else if ('labels' in audience) {
    const labels = audience.labels as string[]
    if (!Array.isArray(labels) || !labels.length) fields['audience.labels'] = 'Give labels'
  } else if ('contact_ids' in audience) {
    const ids = audience.contact_ids as string[]
    if (!Array.isArray(ids) || !ids.length || ids.some((id) => !UUID.test(id))) {
      fields['audience.contact_ids'] = 'Give contact ids'
    }
  } else {
    fields.audience = 'Choose a segment, labels or contacts'
  }
  if (input.localTime && !input.scheduleAt) {
    fields.schedule_at = 'A time is needed to send at it in each contact’s zone'
  }
  if (input.allowUnknownConsent) {
    const settings = await readCampaignSettings(tenant)
    if (!settings.allowUnknownConsent) {
      fields.allow_unknown_consent =
        'The workspace sends marketing only to opted-in contacts (see its campaign settings)'
    }
  }
  if (Object.keys(fields).length) {
    throw new CampaignError('validation_failed', 'The campaign is invalid', fields)
  }
  return { channel: channel!, template: template! }
}

function applyInput(campaign: Campaign, input: CampaignInput) {
  campaign.merge({
    name: input.name,
    channelId: input.channelId,
    templateName: input.template.name,
    templateLanguage: input.template.language,
    variables: input.template.variables,
    audience: input.audience,
    localTime: Boolean(input.localTime),
    scheduleAt: input.localTime ? null : (input.scheduleAt ?? null),
    localAt:
      input.localTime && input.scheduleAt ? input.scheduleAt.toFormat("yyyy-MM-dd'T'HH:mm") : null,
    quietStart: input.quiet ? input.quiet.start : DEFAULT_QUIET.start,
    quietEnd: input.quiet ? input.quiet.end : DEFAULT_QUIET.end,
    allowUnknownConsent: Boolean(input.allowUnknownConsent),
    requiresApproval: Boolean(input.requiresApproval),
  })
}

export async function createCampaign(
  tenant: TenantContext,
  input: CampaignInput,
  trxHook?: (trx: TransactionClientContract, campaign: Campaign) => Promise<void>
) {
  await checkInput(tenant, input)
  return tenant.transaction(async (trx) => {
    const campaign = new Campaign()
    campaign.useTransaction(trx)
    applyInput(campaign, input)
    campaign.status = 'draft'
    campaign.createdBy = input.createdBy ?? null
    await campaign.save()
    if (trxHook) await trxHook(trx, campaign)
    return campaign
  })
}

export async function updateCampaign(
  tenant: TenantContext,
  campaignId: string,
  input: CampaignInput
) {
  const existing = await findCampaignOrFail(tenant, campaignId)
  if (!existing.editable) {
    throw new CampaignError('not_editable', 'Only a draft campaign can be changed', {}, 409)
  }
  await checkInput(tenant, input)
  return tenant.transaction(async (trx) => {
    const campaign = await Campaign.query({ client: trx })
      .where('id', campaignId)
      .forUpdate()
      .firstOrFail()
    if (!campaign.editable) {
      throw new CampaignError('not_editable', 'Only a draft campaign can be changed', {}, 409)
    }
    applyInput(campaign, input)
    await campaign.save()
    return campaign
  })
}

/** The contact filter of a campaign's audience, or its ids. */
async function audienceOf(
  trx: TransactionClientContract,
  audience: CampaignAudience
): Promise<{ filter: ContactFilter } | { contactIds: string[] }> {
  if ('contact_ids' in audience) return { contactIds: audience.contact_ids }
  if ('labels' in audience) {
    return {
      filter: {
        match: 'any',
        conditions: audience.labels.map((label) => ({ field: 'label', op: 'has', value: label })),
      },
    }
  }
  const segment = await Segment.find(audience.segment_id, { client: trx })
  if (!segment)
    throw new CampaignError('validation_failed', 'The segment is gone', {
      'audience.segment_id': 'No such segment',
    })
  return { filter: segment.filter }
}

/** How many contacts the audience names now (the form's live count). */
export async function audienceCount(tenant: TenantContext, audience: CampaignAudience) {
  return tenant.transaction(async (trx) => {
    const select = await contactAudienceSql(trx, await audienceOf(trx, audience))
    const result = await trx.rawQuery(
      `select count(*)::int as n from (${select.sql}) a`,
      select.bindings as any[]
    )
    return result.rows[0].n as number
  })
}

/**
 * Writes the campaign's recipients in one statement: every contact of the
 * audience once (unique per campaign and contact), each with the template
 * variables filled from its fields, the moment it may get the message
 * (its schedule out of its quiet hours), or the reason it is skipped.
 */
async function materializeRecipients(
  trx: TransactionClientContract,
  campaign: Campaign,
  marketing: boolean
) {
  const select = await contactAudienceSql(trx, await audienceOf(trx, campaign.audience))
  const variables = compileVariables(campaign.variables)
  const due = dueAtSql(
    { scheduleAt: campaign.scheduleAt?.toJSDate() ?? null, localAt: campaign.localAt },
    { start: campaign.quietStart, end: campaign.quietEnd }
  )
  // "Not asked" counts only while the workspace allows it, whatever the campaign says.
  const settings = await campaignSettingsIn(trx)
  const consentOk =
    campaign.allowUnknownConsent && settings.allowUnknownConsent
      ? `a.marketing_consent in ('opted_in', 'unknown')`
      : `a.marketing_consent = 'opted_in'`
  const skip = `(case
      when a.opt_in = 'opted_out' then 'opted_out'
      when coalesce(a.phone, '') = '' then 'no_phone'
      ${marketing ? `when a.marketing_consent = 'opted_out' then 'marketing_opted_out'` : ''}
      ${marketing ? `when not (${consentOk}) then 'no_marketing_consent'` : ''}
      else ${variables.missing.sql} end)`
  const result = await trx.rawQuery(
    `insert into campaign_recipients
       (campaign_id, contact_id, phone, time_zone, status, skip_reason, variables, due_at)
     select ?, s.contact_id, s.phone, s.time_zone,
            case when s.skip is null then 'queued' else 'skipped' end, s.skip, s.variables, s.due
       from (select a.contact_id, a.phone, a.time_zone, ${skip} as skip,
                    ${variables.values.sql} as variables, ${due.sql} as due
               from (${select.sql}) a) s
     on conflict (campaign_id, contact_id) do nothing`,
    [
      campaign.id,
      ...variables.missing.bindings,
      ...variables.values.bindings,
      ...due.bindings,
      ...select.bindings,
    ] as any[]
  )
  return result.rowCount as number
}

export interface CampaignStats {
  targeted: number
  skipped: number
  sent: number
  delivered: number
  read: number
  replied: number
  failed: number
  queued: number
}

/** The funnel's counts, one statement over the recipients (inside the caller's transaction). */
export async function statsIn(trx: TransactionClientContract, campaignId: string) {
  const result = await trx.rawQuery(
    `select count(*)::int as targeted,
        count(*) filter (where status = 'skipped')::int as skipped,
        count(sent_at)::int as sent,
        count(delivered_at)::int as delivered,
        count(read_at)::int as read,
        count(replied_at)::int as replied,
        count(*) filter (where status = 'failed')::int as failed,
        count(*) filter (where status in ('queued', 'sending', 'accepted'))::int as queued
      from campaign_recipients where campaign_id = ?`,
    [campaignId]
  )
  return result.rows[0] as CampaignStats
}

export function campaignStats(tenant: TenantContext, campaignId: string): Promise<CampaignStats> {
  return tenant.transaction((trx) => statsIn(trx, campaignId))
}

/** Skips by reason, failures by code and title, and cost categories: the funnel's detail. */
export async function campaignBreakdown(tenant: TenantContext, campaignId: string) {
  return tenant.transaction(async (trx) => {
    const skipped = await trx.rawQuery(
      `select skip_reason as reason, count(*)::int as count from campaign_recipients
        where campaign_id = ? and status = 'skipped' group by 1 order by 2 desc, 1`,
      [campaignId]
    )
    const failed = await trx.rawQuery(
      `select error_code as code, coalesce(error_title, '') as title, count(*)::int as count,
          bool_or(retryable) as retryable
         from campaign_recipients where campaign_id = ? and status = 'failed'
        group by 1, 2 order by 3 desc, 1`,
      [campaignId]
    )
    const costs = await trx.rawQuery(
      `select cost_category as category, count(*)::int as count from campaign_recipients
        where campaign_id = ? and cost_category is not null group by 1 order by 2 desc, 1`,
      [campaignId]
    )
    return {
      skipped: skipped.rows as Array<{ reason: string; count: number }>,
      failed: failed.rows as Array<{
        code: number | null
        title: string
        count: number
        retryable: boolean
      }>,
      costs: costs.rows as Array<{ category: string; count: number }>,
    }
  })
}

export interface RecipientFilters {
  status?: string | null
  reason?: string | null
  code?: number | null
}

export interface RecipientRow {
  id: number
  contact_id: string
  phone: string | null
  status: string
  skip_reason: string | null
  error_code: number | null
  error_title: string | null
  retryable: boolean
  cost_category: string | null
  due_at: Date
  sent_at: Date | null
  delivered_at: Date | null
  read_at: Date | null
  replied_at: Date | null
  failed_at: Date | null
  message_id: string | null
}

/** Recipients in id order after `afterId` (keyset), filtered by status, skip reason or error code. */
export async function recipientsPage(
  tenant: TenantContext,
  campaignId: string,
  filters: RecipientFilters,
  options: { afterId?: number; limit: number }
): Promise<RecipientRow[]> {
  return tenant.transaction(async (trx) => {
    const query = trx
      .from('campaign_recipients')
      .where('campaign_id', campaignId)
      .where('id', '>', options.afterId ?? 0)
      .orderBy('id')
      .limit(options.limit)
      .select(
        'id',
        'contact_id',
        'phone',
        'status',
        'skip_reason',
        'error_code',
        'error_title',
        'retryable',
        'cost_category',
        'due_at',
        'sent_at',
        'delivered_at',
        'read_at',
        'replied_at',
        'failed_at',
        'message_id'
      )
    if (filters.status === 'replied') query.whereNotNull('replied_at')
    else if (filters.status === 'sent') query.whereNotNull('sent_at')
    else if (filters.status === 'delivered') query.whereNotNull('delivered_at')
    else if (filters.status === 'read') query.whereNotNull('read_at')
    else if (filters.status) query.where('status', filters.status)
    if (filters.reason) query.where('skip_reason', filters.reason)
    if (filters.code !== null && filters.code !== undefined) query.where('error_code', filters.code)
    return (await query) as RecipientRow[]
  })
}

async function transition(
  tenant: TenantContext,
  campaignId: string,
  from: CampaignStatus[],
  change: (campaign: Campaign, trx: TransactionClientContract) => Promise<void> | void
) {
  if (!UUID.test(campaignId)) throw new lucidErrors.E_ROW_NOT_FOUND()
  return tenant.transaction(async (trx) => {
    const campaign = await Campaign.query({ client: trx })
      .where('id', campaignId)
      .forUpdate()
      .first()
    if (!campaign) throw new lucidErrors.E_ROW_NOT_FOUND()
    if (!from.includes(campaign.status)) {
      throw new CampaignError('invalid_state', `The campaign is ${campaign.status}`, {}, 409)
    }
    await change(campaign, trx)
    await campaign.save()
    return campaign
  })
}

async function startDispatch(tenant: TenantContext, campaign: Campaign) {
  const { default: CampaignDispatchJob } = await import('../jobs/campaign_dispatch_job.js')
  await markRunning(tenant.slug, campaign.id, true)
  const chain = newChain()
  await dispatchTenantJob(
    CampaignDispatchJob,
    tenant,
    { campaignId: campaign.id, generation: campaign.generation, chain },
    { jobId: `campaign-${tenant.slug}-${campaign.id}-${chain}-0` }
  )
}

/**
 * Launches a draft: with approval required and not yet given, opens the
 * owner's approval task instead (see campaign_approval.ts). Otherwise the
 * recipients are written and the dispatcher starts (a campaign scheduled
 * later is `scheduled` until its first send).
 */
export async function launchCampaign(
  tenant: TenantContext,
  campaignId: string,
  options: { approved?: boolean } = {}
) {
  const current = await findCampaignOrFail(tenant, campaignId)
  const settings = await readCampaignSettings(tenant)
  const needsApproval = current.requiresApproval || settings.requireApproval
  if (needsApproval && !options.approved) {
    if (current.status !== 'draft') {
      throw new CampaignError('invalid_state', `The campaign is ${current.status}`, {}, 409)
    }
    const { requestApproval } = await import('./campaign_approval.js')
    return requestApproval(tenant, current)
  }
  const channel = await findTenantChannel(tenant.id, current.channelId)
  const template = channel
    ? await approvedTemplateOf(tenant, channel.id, current.templateName, current.templateLanguage)
    : null
  if (!channel || channel.status !== 'active' || !template) {
    throw new CampaignError('not_sendable', 'The channel or the approved template is gone', {}, 409)
  }
  const campaign = await transition(
    tenant,
    campaignId,
    options.approved ? ['awaiting_approval', 'draft'] : ['draft'],
    async (row, trx) => {
      await materializeRecipients(trx, row, template.category === 'MARKETING')
      const later = row.scheduleAt && row.scheduleAt > DateTime.now()
      row.status = later || row.localAt ? 'scheduled' : 'running'
      row.generation += 1
      if (row.status === 'running') row.startedAt = DateTime.now()
    }
  )
  if (campaign.status === 'running') await announce(tenant, campaign, 'started')
  await startDispatch(tenant, campaign)
  return campaign
}

export async function pauseCampaign(tenant: TenantContext, campaignId: string) {
  const campaign = await transition(tenant, campaignId, ['running', 'scheduled'], (row) => {
    row.status = 'paused'
  })
  await markRunning(tenant.slug, campaign.id, false)
  return campaign
}

export async function resumeCampaign(tenant: TenantContext, campaignId: string) {
  const campaign = await transition(tenant, campaignId, ['paused'], (row) => {
    row.status = row.startedAt ? 'running' : 'scheduled'
    row.generation += 1
  })
  await startDispatch(tenant, campaign)
  return campaign
}

export async function cancelCampaign(tenant: TenantContext, campaignId: string) {
  const campaign = await transition(
    tenant,
    campaignId,
    ['draft', 'awaiting_approval', 'scheduled', 'running', 'paused'],
    async (row, trx) => {
      row.status = 'cancelled'
      row.completedAt = DateTime.now()
      await trx.rawQuery(
        `update campaign_recipients set status = 'skipped', skip_reason = 'cancelled'
          where campaign_id = ? and status = 'queued'`,
        [row.id]
      )
    }
  )
  await markRunning(tenant.slug, campaign.id, false)
  return campaign
}

/**
 * Sends the failures that may succeed now again (throughput and transient
 * errors; 131049's per-user cap once its 24 hours are over). Each goes with
 * a new attempt number, so its message is a new one. Returns how many.
 */
export async function retryFailed(tenant: TenantContext, campaignId: string) {
  let count = 0
  const campaign = await transition(
    tenant,
    campaignId,
    ['running', 'paused', 'completed', 'scheduled'],
    async (row, trx) => {
      const result = await trx.rawQuery(
        `update campaign_recipients
            set status = 'queued', attempt = attempt + 1, message_id = null, claimed_at = null,
                failed_at = null, error_code = null, error_title = null, retryable = false,
                due_at = now(), retry_after = null
          where campaign_id = ? and status = 'failed' and retryable
            and (retry_after is null or retry_after <= now())`,
        [row.id]
      )
      count = result.rowCount
      if (count && row.status !== 'paused') {
        row.status = row.startedAt ? 'running' : 'scheduled'
        row.completedAt = null
        row.generation += 1
      }
    }
  )
  if (count && campaign.status !== 'paused') await startDispatch(tenant, campaign)
  return count
}

/** Tells listeners (webhooks) a campaign started or completed. */
export async function announce(
  tenant: TenantContext,
  campaign: Campaign,
  what: 'started' | 'completed'
) {
  await emitter.emit(`campaign:${what}`, {
    tenant: tenant.slug,
    tenantId: tenant.id,
    campaignId: campaign.id,
  })
}

/**
 * The campaign message a contact may be answering at `at`: the latest one
 * that reached them (accepted by WhatsApp or further) in the 72 hours
 * before, as campaigns count replies. Null when none did.
 */
export async function latestCampaignMessageTo(
  tenant: TenantContext,
  contactId: string,
  at: DateTime
): Promise<{ campaignId: string; messageId: string } | null> {
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `select campaign_id, message_id from campaign_recipients
        where contact_id = ? and message_id is not null
          and status in ('accepted', 'sent', 'delivered', 'read')
          and coalesce(sent_at, claimed_at, due_at) between ? and ?
        order by coalesce(sent_at, claimed_at, due_at) desc, id desc limit 1`,
      [contactId, at.minus({ hours: 72 }).toJSDate(), at.toJSDate()]
    )
  )
  const row = result.rows[0]
  return row ? { campaignId: row.campaign_id, messageId: row.message_id } : null
}
