import { setTimeout as sleep } from 'node:timers/promises'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import { DateTime } from 'luxon'
import {
  TenantJob,
  dispatchTenantJob,
  usableTenantContext,
  type TenantContext,
  type TenantJobPayload,
} from '#modules/tenancy/index'
import {
  ChannelError,
  approvedTemplateOf,
  findTenantChannel,
  messageById,
  queueOutboundMessage,
  templateRecipientsSince,
  type Channel,
} from '#modules/channels/index'
import { PlanLimitError } from '#modules/billing/index'
import { contactForSend, conversationForSend } from '#modules/inbox/index'
import Campaign from '../models/campaign.js'
import { announce } from '../services/campaign_service.js'
import { applyCampaignStatus } from '../listeners.js'
import { quietUntil } from '../services/campaign_schedule.js'
import {
  awaitLease,
  holdLease,
  markRunning,
  newChain,
  releaseLease,
} from '../services/campaign_lease.js'

interface Payload extends TenantJobPayload {
  campaignId: string
  /** The launch or resume this dispatcher serves; a newer one makes it stop. */
  generation: number
  /** The dispatch chain (campaign_lease.ts) this job belongs to. */
  chain?: string
  tick?: number
}

interface Claimed {
  id: string
  contact_id: string
  time_zone: string | null
  variables: string[]
  attempt: number
}

/** How long one job dispatches before handing over to the next (bounded jobs survive restarts). */
const RUN_MS = 20_000
/** A slice of a second: each sends its share of the channel's per-second rate. */
const SLICE_MS = 100
/** A claim older than this with no message recorded is taken again (its worker died). */
const STALE_CLAIM_SECONDS = 10
/** Sends started at once within a slice. */
const PARALLEL = 8

/**
 * Sends a running campaign: every tenth of a second it claims the next
 * recipients due (a claimed row is committed as `sending` before its message
 * is queued, and the message's idempotency key is the recipient's, so a
 * contact gets the campaign at most once whatever dies when) and queues each
 * through the channels module's one outbound door, at the channel's rate
 * (messages per second) and within its messaging tier (unique users in a
 * moving 24 hours, counting every template the channel sent). Quiet hours
 * are checked again per contact at the moment of sending. After RUN_MS it
 * queues its successor; when no recipient is left to send, the campaign is
 * completed.
 */
export default class CampaignDispatchJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, given: Payload) {
    const chain = given.chain ?? newChain()
    let payload = given
    if (payload.generation < 0) {
      // Queued at a worker's start: whatever launch or resume is current.
      const row = await tenant.transaction((trx) =>
        Campaign.find(given.campaignId, { client: trx })
      )
      payload = { ...given, generation: row?.generation ?? 0 }
    }
    const campaign = await this.#current(tenant, payload)
    if (!campaign) {
      await markRunning(tenant.slug, payload.campaignId, false)
      return
    }
    // Another chain sends this campaign: leave it to it.
    if (!(await awaitLease(tenant.slug, campaign.id, chain))) return
    let handedOver = false
    try {
      handedOver = await this.#dispatch(tenant, payload, campaign, chain)
    } finally {
      if (!handedOver) await releaseLease(tenant.slug, campaign.id, chain)
    }
  }

  /** Sends for up to RUN_MS; true when it queued its successor (which keeps the lease). */
  async #dispatch(tenant: TenantContext, payload: Payload, campaign: Campaign, chain: string) {
    const channel = await findTenantChannel(tenant.id, campaign.channelId)
    const template = channel
      ? await approvedTemplateOf(
          tenant,
          channel.id,
          campaign.templateName,
          campaign.templateLanguage
        )
      : null
    if (!channel || channel.status !== 'active' || !template) {
      await pauseFor(tenant, campaign, 'the channel or its approved template is gone')
      return false
    }
    const marketing = template.category === 'MARKETING'
    const rate =
      channel.settings.messagesPerSecond ??
      app.config.get<number>('whatsapp.defaultMessagesPerSecond')
    // Paced by elapsed time: `rate` recipients a second, never a catch-up burst.
    let paceFrom = Date.now()
    let paced = 0
    const deadline = Date.now() + RUN_MS
    let wakeAt: number | null = null
    let checkedAt = Date.now()
    let room = await tierRoom(tenant, channel)
    let started = campaign.status === 'running'

    while (Date.now() < deadline) {
      const sliceStart = Date.now()
      if (sliceStart - checkedAt >= 1000) {
        checkedAt = sliceStart
        if (!(await holdLease(tenant.slug, campaign.id, chain))) return false
        if (!(await this.#current(tenant, payload))) {
          await markRunning(tenant.slug, campaign.id, false)
          return false
        }
        room = await tierRoom(tenant, channel)
      }
      let due = Math.floor((rate * (sliceStart - paceFrom + SLICE_MS)) / 1000) - paced
      if (due > rate) {
        // Far behind (a slow spell): start the count again rather than burst.
        paceFrom = sliceStart
        paced = 0
        due = Math.ceil((rate * SLICE_MS) / 1000)
      }
      if (due <= 0) {
        await sleep(SLICE_MS)
        continue
      }
      const want = Math.min(due, room)
      if (want <= 0) {
        // The tier is full: try again in a minute.
        wakeAt = Date.now() + 60_000
        break
      }
      const claimed = await claim(tenant, campaign.id, want)
      if (!claimed.length) {
        const left = await remaining(tenant, campaign.id)
        if (!left.queued && !left.sending && left.accepted) {
          // Handed to the channel but no status heard (a worker died between
          // recording it and announcing it): read where those messages are.
          await reconcileAccepted(tenant, campaign.id)
          await sleep(1000)
          continue
        }
        if (!left.queued && !left.sending) {
          await complete(tenant, campaign.id, payload.generation)
          return false
        }
        if (left.nextDue && left.nextDue.getTime() > Date.now() + SLICE_MS) {
          wakeAt = left.nextDue.getTime()
          break
        }
        await sleep(250)
        continue
      }
      if (!started) {
        started = await markStarted(tenant, campaign.id, payload.generation)
        if (!started) return false
      }
      room -= claimed.length
      paced += claimed.length
      for (let i = 0; i < claimed.length; i += PARALLEL) {
        await Promise.all(
          claimed
            .slice(i, i + PARALLEL)
            .map((recipient) => sendOne(tenant, campaign, channel, marketing, recipient))
        )
      }
      const rest = sliceStart + SLICE_MS - Date.now()
      if (rest > 0) await sleep(rest)
    }
    const delay = wakeAt ? Math.max(0, wakeAt - Date.now()) : 0
    // A successor starting soon keeps the lease; one waiting long takes it again.
    const keep = delay < 2_000
    if (keep) await holdLease(tenant.slug, campaign.id, chain)
    await dispatchTenantJob(
      CampaignDispatchJob,
      tenant,
      {
        campaignId: campaign.id,
        generation: payload.generation,
        chain,
        tick: (payload.tick ?? 0) + 1,
      },
      { jobId: `campaign-${tenant.slug}-${campaign.id}-${chain}-${(payload.tick ?? 0) + 1}`, delay }
    )
    return keep
  }

  /** The campaign while this dispatcher may still send it, else null. */
  async #current(tenant: TenantContext, { campaignId, generation }: Payload) {
    const campaign = await tenant.transaction((trx) => Campaign.find(campaignId, { client: trx }))
    if (!campaign || campaign.generation !== generation) return null
    return campaign.status === 'running' || campaign.status === 'scheduled' ? campaign : null
  }
}

/** Unique users the channel may still start conversations with now (its tier minus the last 24 h). */
async function tierRoom(tenant: TenantContext, channel: Channel) {
  const tier = channel.settings.messagingTier
  if (!tier) return Number.POSITIVE_INFINITY
  const since = new Date(Date.now() - 24 * 3600 * 1000)
  return tier - (await templateRecipientsSince(tenant, channel.id, since))
}

async function claim(tenant: TenantContext, campaignId: string, limit: number) {
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `update campaign_recipients r set status = 'sending', claimed_at = now()
        where r.id in (
          select id from campaign_recipients
           where campaign_id = ?
             and ((status = 'queued' and due_at <= now())
               or (status = 'sending' and claimed_at < now() - make_interval(secs => ?)))
           order by due_at, id limit ? for update skip locked)
        returning r.id, r.contact_id, r.time_zone, r.variables, r.attempt`,
      [campaignId, STALE_CLAIM_SECONDS, limit]
    )
  )
  return result.rows as Claimed[]
}

async function remaining(tenant: TenantContext, campaignId: string) {
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `select count(*) filter (where status = 'queued')::int as queued,
              count(*) filter (where status = 'sending')::int as sending,
              count(*) filter (where status = 'accepted' and claimed_at is null)::int as accepted,
              min(due_at) filter (where status = 'queued') as next_due
         from campaign_recipients where campaign_id = ?`,
      [campaignId]
    )
  )
  const row = result.rows[0]
  return {
    queued: row.queued as number,
    sending: row.sending as number,
    accepted: row.accepted as number,
    nextDue: row.next_due ? new Date(row.next_due) : null,
  }
}

/**
 * Recipients whose message the channel took more than 15 seconds ago with
 * no status since: their message's status now, applied as its event would
 * have been (a message still waiting to be sent is left to its job).
 */
async function reconcileAccepted(tenant: TenantContext, campaignId: string) {
  const result = await tenant.transaction((trx) =>
    trx.rawQuery(
      `update campaign_recipients set claimed_at = now()
        where id in (select id from campaign_recipients
                      where campaign_id = ? and status = 'accepted' and message_id is not null
                        and coalesce(claimed_at, due_at) < now() - interval '15 seconds'
                      limit 200)
        returning message_id`,
      [campaignId]
    )
  )
  for (const { message_id: messageId } of result.rows as Array<{ message_id: string }>) {
    const message = await messageById(tenant, messageId)
    if (!message || message.status === 'pending') continue
    await applyCampaignStatus(tenant, {
      tenant: tenant.slug,
      tenantId: tenant.id,
      messageId: message.id,
      externalId: message.externalId ?? '',
      conversationId: message.conversationId,
      status: message.status,
      previousStatus: 'pending',
      errorCode: message.errorCode,
      errorTitle: message.errorTitle,
    })
  }
}

async function settle(
  tenant: TenantContext,
  recipientId: string,
  change: { status: 'queued' | 'skipped' | 'failed'; reason?: string; title?: string; dueAt?: Date }
) {
  await tenant.transaction((trx) =>
    trx.rawQuery(
      `update campaign_recipients
          set status = ?, skip_reason = coalesce(?, skip_reason), error_title = ?,
              failed_at = case when ? = 'failed' then now() else failed_at end,
              due_at = coalesce(?, due_at), claimed_at = null
        where id = ? and status = 'sending'`,
      [
        change.status,
        change.reason ?? null,
        change.title ?? null,
        change.status,
        change.dueAt ?? null,
        recipientId,
      ] as any[]
    )
  )
}

async function sendOne(
  tenant: TenantContext,
  campaign: Campaign,
  channel: Channel,
  marketing: boolean,
  recipient: Claimed
) {
  try {
    const quiet = quietUntil(DateTime.now(), recipient.time_zone, {
      start: campaign.quietStart,
      end: campaign.quietEnd,
    })
    if (quiet) {
      return await settle(tenant, recipient.id, { status: 'queued', dueAt: quiet.toJSDate() })
    }
    const { found } = await contactForSend(tenant, { id: recipient.contact_id }, channel.id)
    if (!found)
      return await settle(tenant, recipient.id, { status: 'skipped', reason: 'contact_deleted' })
    const { contact } = found
    if (contact.optIn === 'opted_out') {
      return await settle(tenant, recipient.id, { status: 'skipped', reason: 'opted_out' })
    }
    if (marketing && contact.marketingConsent === 'opted_out') {
      return await settle(tenant, recipient.id, {
        status: 'skipped',
        reason: 'marketing_opted_out',
      })
    }
    const conversation =
      found.conversation ??
      (await conversationForSend(tenant, contact.id, channel.id))!.conversation
    let plannedId: string | null = null
    const message = await queueOutboundMessage(tenant, {
      conversationId: conversation.id,
      content: {
        type: 'template',
        name: campaign.templateName,
        language: campaign.templateLanguage,
        variables: recipient.variables,
      },
      authorType: 'system',
      idempotencyKey: `campaign:${campaign.id}:${recipient.id}:${recipient.attempt}`,
      loaded: { conversation, contact, channel },
      alongside: (planned) => {
        plannedId = planned.id
        return {
          sql: `update ${tenant.table('campaign_recipients')}
                   set message_id = ?, status = 'accepted', claimed_at = null
                 where id = ? and status = 'sending'`,
          bindings: [planned.id, recipient.id],
        }
      },
    })
    if (message.id !== plannedId) {
      // A claim taken again after a crash met the message its first claim queued.
      await tenant.transaction((trx) =>
        trx.rawQuery(
          `update campaign_recipients set message_id = ?, status = 'accepted', claimed_at = null
            where id = ? and status = 'sending'`,
          [message.id, recipient.id]
        )
      )
    }
  } catch (error) {
    if (error instanceof ChannelError) {
      return settle(tenant, recipient.id, { status: 'failed', title: error.message })
    }
    if (error instanceof PlanLimitError) {
      return settle(tenant, recipient.id, { status: 'failed', title: error.message })
    }
    logger.error(
      { err: error, tenant: tenant.slug, recipient: recipient.id },
      'campaign send failed'
    )
    // Tried again in a minute.
    await settle(tenant, recipient.id, {
      status: 'queued',
      dueAt: new Date(Date.now() + 60_000),
    }).catch(() => {})
  }
}

async function markStarted(tenant: TenantContext, campaignId: string, generation: number) {
  const outcome = await tenant.transaction(async (trx) => {
    const row = await Campaign.query({ client: trx }).where('id', campaignId).forUpdate().first()
    if (!row || row.generation !== generation) return null
    if (row.status === 'running') return { row, changed: false }
    if (row.status !== 'scheduled') return null
    row.status = 'running'
    row.startedAt = DateTime.now()
    await row.save()
    return { row, changed: true }
  })
  if (outcome?.changed) await announce(tenant, outcome.row, 'started')
  return Boolean(outcome)
}

async function complete(tenant: TenantContext, campaignId: string, generation: number) {
  const campaign = await tenant.transaction(async (trx) => {
    const row = await Campaign.query({ client: trx }).where('id', campaignId).forUpdate().first()
    if (!row || row.generation !== generation) return null
    if (row.status !== 'running' && row.status !== 'scheduled') return null
    row.status = 'completed'
    row.completedAt = DateTime.now()
    await row.save()
    return row
  })
  await markRunning(tenant.slug, campaignId, false)
  if (campaign) await announce(tenant, campaign, 'completed')
}

async function pauseFor(tenant: TenantContext, campaign: Campaign, why: string) {
  logger.warn({ tenant: tenant.slug, campaign: campaign.id }, `campaign paused: ${why}`)
  await tenant.transaction(async (trx) => {
    await trx.rawQuery(
      `update campaigns set status = 'paused', updated_at = now()
        where id = ? and status in ('running', 'scheduled')`,
      [campaign.id]
    )
  })
}

/**
 * When a worker process starts: a new dispatch chain for every campaign
 * that was sending, which takes over from a chain whose worker died.
 */
export async function resumeDispatchers() {
  const { runningCampaigns } = await import('../services/campaign_lease.js')
  for (const { tenant, campaignId } of await runningCampaigns()) {
    if (!(await usableTenantContext(tenant))) {
      await markRunning(tenant, campaignId, false)
      continue
    }
    const chain = newChain()
    await dispatchTenantJob(
      CampaignDispatchJob,
      { slug: tenant },
      { campaignId, generation: -1, chain },
      { jobId: `campaign-${tenant}-${campaignId}-${chain}-0` }
    )
  }
}
