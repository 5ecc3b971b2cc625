import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import db from '@adonisjs/lucid/services/db'
import { batchedWork } from '#app/queue/work_batch'
import logger from '@adonisjs/core/services/logger'
import { usableTenantContext, type TenantContext } from '#modules/tenancy/index'
import { registerThreadAnnotator, withdrawMarketingConsent } from '#modules/inbox/index'
import { publishEvent } from '#modules/integrations/index'
import type { MessageStatusEvent } from '#modules/channels/index'
import Campaign from './models/campaign.js'
import { launchCampaign, statsIn } from './services/campaign_service.js'
import { APPROVAL_KIND } from './services/campaign_approval.js'
import { presentCampaign } from './presenters/campaign_presenter.js'
import { annotateCampaignThread } from './services/campaign_thread.js'
import { clock } from '#app/clock'
import { contactById, conversationById } from '#modules/inbox/index'
import {
  activeEnrollmentsOf,
  exitEnrollment,
  findEnrollment,
  findSequence,
} from './services/sequence_service.js'
import { activeSequencesWith, enrollQuietly, onContactReply } from './services/sequence_runner.js'
import { presentEnrollment } from './presenters/sequence_presenter.js'
import { annotateSequenceThread } from './services/sequence_thread.js'

/** WhatsApp's per-user marketing cap: that person is not sent marketing again for 24 h. */
export const MARKETING_CAP = 131049
/** The person stopped marketing messages from the business. */
export const MARKETING_STOPPED = 131050
/** Throughput and transient errors worth another campaign try. */
const RETRYABLE = new Set([1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004])

const RANK = `(case status when 'queued' then 0 when 'sending' then 1 when 'accepted' then 2
  when 'sent' then 3 when 'delivered' then 4 when 'read' then 5 else 6 end)`

/**
 * A campaign message's progress, from the channels module's status events,
 * moves its recipient along the funnel (sent, delivered, read, failed with
 * WhatsApp's code and title, the pricing category). Only ever forward.
 */
export async function applyCampaignStatus(tenant: TenantContext, event: MessageStatusEvent) {
  const category = event.pricing?.category ?? null
  let sql: string
  let bindings: unknown[]
  switch (event.status) {
    case 'queued':
    case 'sent':
      sql = `status = case when ${RANK} < 3 then 'sent' else status end,
             sent_at = coalesce(sent_at, now())`
      bindings = []
      break
    case 'delivered':
      sql = `status = case when ${RANK} < 4 then 'delivered' else status end,
             sent_at = coalesce(sent_at, now()), delivered_at = coalesce(delivered_at, now())`
      bindings = []
      break
    case 'read':
      sql = `status = case when ${RANK} < 5 then 'read' else status end,
             sent_at = coalesce(sent_at, now()), delivered_at = coalesce(delivered_at, now()),
             read_at = coalesce(read_at, now())`
      bindings = []
      break
    case 'failed': {
      const code = event.errorCode
      const capped = code === MARKETING_CAP
      sql = `status = case when ${RANK} < 4 then 'failed' else status end,
             failed_at = case when ${RANK} < 4 then now() else failed_at end,
             error_code = case when ${RANK} < 4 then ?::int else error_code end,
             error_title = case when ${RANK} < 4 then ? else error_title end,
             retryable = case when ${RANK} < 4 then ? else retryable end,
             retry_after = case when ${RANK} < 4 then ?::timestamptz else retry_after end`
      bindings = [
        code,
        event.errorTitle,
        capped || (code !== null && RETRYABLE.has(code)),
        capped ? new Date(Date.now() + 24 * 3600 * 1000) : null,
      ]
      break
    }
    default:
      return
  }
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `update campaign_recipients set ${sql}, cost_category = coalesce(?, cost_category)
        where message_id = ? returning contact_id`,
      [...bindings, category, event.messageId] as any[]
    )
  )
  const row = result.rows[0] as { contact_id: string } | undefined
  if (row && event.status === 'failed' && event.errorCode === MARKETING_STOPPED) {
    await withdrawMarketingConsent(tenant, row.contact_id)
  }
}

/**
 * Status events in a work batch (a campaign batch's sends, a webhook batch's
 * statuses): the plain steps (queued, sent, delivered, read without a
 * price) one statement per tenant and step; failures and priced ones one by
 * one, as applyCampaignStatus does them.
 */
const statusBatch = batchedWork<MessageStatusEvent>(async (events) => {
  const groups = new Map<string, { slug: string; status: string; ids: string[] }>()
  for (const event of events) {
    const plain = ['queued', 'sent', 'delivered', 'read'].includes(event.status) && !event.pricing
    if (!plain) {
      const tenant = await usableTenantContext(event.tenant)
      if (tenant) await applyCampaignStatus(tenant, event)
      continue
    }
    const key = `${event.tenant}\u0000${event.status}`
    const group = groups.get(key) ?? { slug: event.tenant, status: event.status, ids: [] }
    group.ids.push(event.messageId)
    groups.set(key, group)
  }
  for (const { slug, status, ids } of groups.values()) {
    const tenant = await usableTenantContext(slug)
    if (!tenant) continue
    await db.rawQuery(
      `update ${tenant.table('campaign_recipients')} set ${progressSql(status)}
        where message_id = any(?::uuid[])`,
      [ids]
    )
  }
})

function progressSql(status: string) {
  switch (status) {
    case 'delivered':
      return `status = case when ${RANK} < 4 then 'delivered' else status end,
             sent_at = coalesce(sent_at, now()), delivered_at = coalesce(delivered_at, now())`
    case 'read':
      return `status = case when ${RANK} < 5 then 'read' else status end,
             sent_at = coalesce(sent_at, now()), delivered_at = coalesce(delivered_at, now()),
             read_at = coalesce(read_at, now())`
    default:
      return `status = case when ${RANK} < 3 then 'sent' else status end,
             sent_at = coalesce(sent_at, now())`
  }
}

/** A contact's message counts as a reply to the campaigns sent them in the last 72 hours. */
export async function recordCampaignReply(tenant: TenantContext, contactId: string) {
  await tenant.transaction((trx) =>
    trx.rawQuery(
      `update campaign_recipients set replied_at = now()
        where contact_id = ? and replied_at is null and sent_at >= now() - interval '72 hours'`,
      [contactId]
    )
  )
}

/** Sequence triggers and exits from what happens in the inbox and channels. */
function registerSequenceListeners(safely: (what: string, work: () => Promise<unknown>) => void) {
  const withTenant = (slug: string, work: (tenant: TenantContext) => Promise<unknown>) =>
    usableTenantContext(slug).then((tenant) => (tenant ? work(tenant) : null))

  emitter.on('message:received', (event) =>
    safely('sequence reply', () =>
      withTenant(event.tenant, async (tenant) => {
        const now = clock.now()
        await onContactReply(tenant, event.contactId, { text: event.text, type: event.type }, now)
        const text = (event.text ?? '').trim().toLowerCase()
        if (text) {
          for (const sequence of await activeSequencesWith(tenant, 'keywords')) {
            const words = new Set(text.split(/[^\p{L}\p{N}_]+/u))
            if (sequence.triggers.keywords.some((k) => k === text || words.has(k))) {
              await enrollQuietly(tenant, sequence.id, event.contactId, 'keyword', now)
            }
          }
        }
        const campaignSequences = await activeSequencesWith(tenant, 'campaign_ids')
        if (campaignSequences.length) {
          await recordCampaignReply(tenant, event.contactId)
          const replied = await campaignsRepliedBy(tenant, event.contactId)
          for (const sequence of campaignSequences) {
            if (sequence.triggers.campaign_ids.some((id) => replied.has(id))) {
              await enrollQuietly(tenant, sequence.id, event.contactId, 'campaign_reply', now)
            }
          }
        }
      })
    )
  )
  emitter.on('conversation:updated', (event) =>
    safely('sequence labels', async () => {
      if (!event.changes.includes('labels')) return
      await withTenant(event.tenant, async (tenant) => {
        const conversation = await conversationById(tenant, event.conversationId)
        if (!conversation) return
        const labels = new Set((conversation.labels ?? []).map((l) => l.toLowerCase()))
        for (const sequence of await activeSequencesWith(tenant, 'labels')) {
          if (sequence.triggers.labels.some((label) => labels.has(label))) {
            await enrollQuietly(tenant, sequence.id, conversation.contactId, 'label')
          }
        }
        await exitOnGoalLabel(tenant, conversation.contactId, labels)
      })
    })
  )
  emitter.on('handoff:requested', (event) =>
    safely('sequence handoff', async () => {
      if (event.reason === 'sequence') return
      await withTenant(event.tenant, async (tenant) => {
        const conversation = await conversationById(tenant, event.conversationId)
        if (conversation) await exitAll(tenant, conversation.contactId, 'handoff')
      })
    })
  )
  emitter.on('conversation:assigned', (event) =>
    safely('sequence handoff', async () => {
      if (!event.assigneeId || !event.byUserId) return
      await withTenant(event.tenant, async (tenant) => {
        const conversation = await conversationById(tenant, event.conversationId)
        if (conversation) await exitAll(tenant, conversation.contactId, 'handoff')
      })
    })
  )
  emitter.on('contact:updated', (event) =>
    safely('sequence opt-out', async () => {
      if (!event.changes.some((c) => c === 'opt_in' || c === 'optIn')) return
      await withTenant(event.tenant, async (tenant) => {
        const contact = await contactById(tenant, event.contactId)
        if (contact?.optIn === 'opted_out') await exitAll(tenant, contact.id, 'opted_out')
      })
    })
  )
  emitter.on('sequence:completed', (event) =>
    safely('sequence.completed webhook', () =>
      withTenant(event.tenant, (tenant) =>
        publishEvent(
          tenant,
          'sequence.completed',
          `sequence.completed:${event.enrollmentId}`,
          async (trx) => {
            const enrollment = await findEnrollment(tenant, event.enrollmentId, trx)
            const sequence = await findSequence(tenant, event.sequenceId, trx)
            return enrollment && sequence ? presentEnrollment(enrollment, sequence) : null
          }
        )
      )
    )
  )
}

async function exitAll(tenant: TenantContext, contactId: string, reason: string) {
  for (const enrollment of await activeEnrollmentsOf(tenant, contactId)) {
    await exitEnrollment(tenant, enrollment.id, reason)
  }
}

async function exitOnGoalLabel(tenant: TenantContext, contactId: string, labels: Set<string>) {
  for (const enrollment of await activeEnrollmentsOf(tenant, contactId)) {
    const sequence = await findSequence(tenant, enrollment.sequenceId)
    if (sequence?.goal?.label && labels.has(sequence.goal.label)) {
      await exitEnrollment(tenant, enrollment.id, 'goal')
    }
  }
}

/** The campaigns a contact answered (within the 72 hours campaigns count replies in). */
async function campaignsRepliedBy(tenant: TenantContext, contactId: string) {
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `select campaign_id from campaign_recipients
        where contact_id = ? and replied_at is not null and sent_at >= now() - interval '72 hours'`,
      [contactId]
    )
  )
  return new Set(result.rows.map((row: any) => row.campaign_id as string))
}

export function registerPulseListeners() {
  const safely = (what: string, work: () => Promise<unknown>) =>
    work().catch((error) => logger.error({ err: error }, `pulse: ${what} failed`))
  registerThreadAnnotator(annotateCampaignThread)
  registerThreadAnnotator(annotateSequenceThread)
  registerSequenceListeners(safely)
  // A worker killed mid-campaign: the next worker to start takes it over.
  emitter.on('queue:started', ({ queues }) =>
    safely('campaign resume', async () => {
      if (!queues.includes('default')) return
      const { resumeDispatchers } = await import('./jobs/campaign_dispatch_job.js')
      await resumeDispatchers()
    })
  )
  // The scheduler's polling loop (services/scheduler.ts) runs in every worker.
  emitter.on('queue:started', ({ queues }) =>
    safely('scheduler start', async () => {
      if (!queues.includes('default') || app.inTest) return
      const { startDueWorker } = await import('./services/scheduler.js')
      startDueWorker()
    })
  )
  emitter.on('queue:stopping', () =>
    safely('scheduler stop', async () => {
      const { stopDueWorker } = await import('./services/scheduler.js')
      await stopDueWorker()
    })
  )
  emitter.on('message:status', (event) => safely('campaign status', () => statusBatch(event)))
  emitter.on('message:received', (event) =>
    safely('campaign reply', async () => {
      const tenant = await usableTenantContext(event.tenant)
      if (tenant) await recordCampaignReply(tenant, event.contactId)
    })
  )
  // The owner's decision on a campaign waiting for approval.
  emitter.on('hitl:task_resolved', (event) =>
    safely('campaign approval', async () => {
      if (event.kind !== APPROVAL_KIND || event.sourceType !== 'pulse' || !event.sourceRef) return
      const tenant = await usableTenantContext(event.tenant)
      if (!tenant) return
      const campaign = await tenant.transaction((trx) =>
        Campaign.find(event.sourceRef!, { client: trx })
      )
      if (!campaign || campaign.status !== 'awaiting_approval') return
      if (event.status === 'approved') {
        await launchCampaign(tenant, campaign.id, { approved: true })
      } else {
        await tenant.transaction((trx) =>
          trx.rawQuery(
            `update campaigns set status = 'draft', approval_task_id = null, updated_at = now()
              where id = ? and status = 'awaiting_approval'`,
            [campaign.id]
          )
        )
      }
    })
  )
  for (const what of ['started', 'completed'] as const) {
    emitter.on(`campaign:${what}`, (event) =>
      safely(`campaign.${what} webhook`, async () => {
        const tenant = await usableTenantContext(event.tenant)
        if (!tenant) return
        await publishEvent(
          tenant,
          `campaign.${what}`,
          `campaign.${what}:${event.campaignId}`,
          async (trx) => {
            const campaign = await Campaign.query({ client: trx })
              .where('id', event.campaignId)
              .first()
            return campaign ? presentCampaign(campaign, await statsIn(trx, campaign.id)) : null
          }
        )
      })
    )
  }
}
