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
import db from '@adonisjs/lucid/services/db'
import {
  ChannelError,
  settleInDoubt,
  approvedTemplateOf,
  findTenantChannel,
  messageById,
  pacedRate,
  sendTemplateBatch,
  templateRecipientsSince,
  type Channel,
  type TemplateBatchSend,
} from '#modules/channels/index'
import { PlanLimitError } from '#modules/billing/index'
import { conversationsForSendMany, withdrawMarketingConsent } from '#modules/inbox/index'
import Campaign from '../models/campaign.js'
import { announce } from '../services/campaign_service.js'
import { MARKETING_CAP, MARKETING_STOPPED, applyCampaignStatus } from '../listeners.js'
import { quietUntil } from '../services/campaign_schedule.js'
import {
  awaitLease,
  holdLease,
  LEASE_MS,
  markRunning,
  newChain,
  newHolder,
  releaseLease,
  RENEW_MS,
} from '../services/campaign_lease.js'

interface Payload extends TenantJobPayload {
  campaignId: string
  /** The launch or resume this dispatcher serves; a newer one makes it stop. */
  generation: number
  /** The dispatch chain (campaign_lease.ts) this job belongs to. */
  chain?: string
  /** The run of the job before it in the chain, which handed it the lease. */
  lease?: string
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
/** A batch is this many milliseconds of sends at the rate. */
const BATCH_MS = 250
/** Batches are claimed while fewer than this many milliseconds of sends are lined up. */
const AHEAD_MS = 2500
/** Batches in progress at once (one sending while the next ones are read and written). */
const MAX_BATCHES = 10
const TICK_MS = 20
/** How far back slots a busy moment made the line miss are still made up for (one window). */
const CATCH_UP_MS = 1000
/** How often the campaign's status is read while sending. */
const STATE_MS = 250
/**
 * A run writes its requests only until FENCE_MS before its lease could
 * lapse (LEASE_MS after the ask that last renewed it).
 */
const FENCE_MS = 300
/**
 * Requests another run (one that lost its lease: it writes nothing more)
 * left in doubt were not taken by WhatsApp once WhatsApp has reported
 * messages sent this long after this run took the lease (statuses come in
 * order give or take a few seconds, and one that took them would have
 * reported them before those).
 */
const REPORTED_AFTER_MS = 5_000

/** The lease this run holds: who it is, until when it may write, when it took it. */
interface HeldLease {
  holder: string
  /** performance.now() before which the lease surely holds. */
  until: number
  takenAt: Date
}

/** A claim older than this with no outcome recorded is taken again (its worker died). */
const STALE_CLAIM_SECONDS = 10
/**
 * A send found in doubt is looked at again this soon (its settling waits for
 * a status webhook: REPORTED_AFTER_MS, or the doubt window).
 */
const RECHECK_SECONDS = 2
/** WhatsApp's "slow down": the person is tried again after this, and the line pauses as long. */
const SLOW_DOWN = 130429
const SLOW_DOWN_MS = 2_000
/**
 * A message in flight when its worker died that no status webhook named in
 * this long was not taken by WhatsApp (which reports every message it
 * takes within seconds): it is sent anew.
 */
// Read at each use (start/env.ts validates it at boot), so a test can shorten it.
const doubtMs = () => Number(process.env.CAMPAIGN_DOUBT_MS ?? 60_000)

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
    // This run holds the lease, taken free or from the run that queued it.
    // Another run sends this campaign (another chain, or this very job run
    // a second time while its first run lives): leave it to it.
    const holder = newHolder(chain)
    const askedAt = await awaitLease(tenant.slug, campaign.id, holder, given.lease ?? '')
    if (askedAt === null) return
    const lease = { holder, until: askedAt + LEASE_MS - FENCE_MS, takenAt: new Date() }
    let handedOver = false
    try {
      handedOver = await this.#dispatch(tenant, payload, campaign, chain, lease)
    } finally {
      if (!handedOver) await releaseLease(tenant.slug, campaign.id, holder)
    }
  }

  /** Sends for up to RUN_MS; true when it queued its successor (which keeps the lease). */
  async #dispatch(
    tenant: TenantContext,
    payload: Payload,
    campaign: Campaign,
    chain: string,
    lease: HeldLease
  ) {
    const holder = lease.holder
    // Renews the lease; while it holds, this run's requests may be written.
    const renew = async () => {
      const askedAt = performance.now()
      const held = await holdLease(tenant.slug, campaign.id, holder)
      if (held) lease.until = askedAt + LEASE_MS - FENCE_MS
      return held
    }
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
    // Requests start at least `spacing` apart (a hair under the rate: the
    // same paced rate the number's shared window in Redis grants), so no
    // second at WhatsApp holds more than the rate, and batches are claimed a
    // little ahead of their turn so the database work never starves the line.
    const paced = pacedRate(rate)
    const spacing = 1000 / paced
    let nextSlot = Date.now()
    // Sends claimed and not yet at their turn: claiming waits while more
    // than AHEAD_MS of them (at the rate) are lined up.
    let lined = 0
    // Set once the campaign is paused, cancelled or relaunched: sends lined
    // up and not yet made are withdrawn.
    let stopped = false
    // No request starts before its slot. Slots a busy moment made the line
    // miss (up to CATCH_UP_MS of them) are made up for at once: the
    // number's window (Redis's, then this process's at the moment each
    // request leaves: sendTemplateBatch) lets through only what keeps every
    // second at the rate, so a stall costs no throughput the window allows.
    // Slots are made up a quarter faster than the rate, not all at once: a
    // burst reaches WhatsApp spread out by its own queue and bunches with
    // the next second's sends (send_pacing.ts keeps the same bound).
    let released = 0
    const turn = async () => {
      lined--
      if (stopped) return false
      const slot = Math.max(Date.now() - CATCH_UP_MS, nextSlot)
      nextSlot = slot + spacing
      const at = Math.max(slot, released + spacing / 1.25)
      released = at
      for (;;) {
        if (stopped) return false
        const wait = at - Date.now()
        if (wait <= 0) return true
        // In short steps, so that a stop is heard while waiting.
        await sleep(Math.min(wait, TICK_MS * 2))
      }
    }
    const batchSize = Math.max(1, Math.ceil((rate * BATCH_MS) / 1000))
    const inFlight = new Set<Promise<void>>()
    const deadline = Date.now() + RUN_MS
    let wakeAt: number | null = null
    let checkedAt = Date.now()
    let renewedAt = Date.now()
    let stateAt = Date.now()
    let room = await tierRoom(tenant, channel)
    let started = campaign.status === 'running'
    let slowUntil = 0

    // Waiting for the batches still sending keeps the lease alive (another
    // chain taking it meanwhile would pace the same number twice); losing
    // it withdraws what is lined up.
    const settleAll = async () => {
      while (inFlight.size) {
        await Promise.race([Promise.all([...inFlight]), sleep(RENEW_MS)])
        if (inFlight.size && !(await renew())) stopped = true
      }
    }
    try {
      while (Date.now() < deadline) {
        const now = Date.now()
        if (now - stateAt >= STATE_MS) {
          // A pause or cancel takes effect within STATE_MS (one statement).
          stateAt = now
          if (!(await stillCurrent(tenant, payload))) {
            stopped = true
            await markRunning(tenant.slug, campaign.id, false)
            return false
          }
        }
        if (now - renewedAt >= RENEW_MS) {
          renewedAt = now
          if (!(await renew())) {
            stopped = true
            return false
          }
        }
        if (now - checkedAt >= 1000) {
          checkedAt = now
          room = await tierRoom(tenant, channel)
        }
        // Enough is claimed while the line holds AHEAD_MS of sends, or
        // WhatsApp asked to slow down (130429).
        const ahead = Math.max(lined * spacing, nextSlot - now)
        if (ahead > AHEAD_MS || inFlight.size >= MAX_BATCHES || now < slowUntil) {
          await Promise.race([sleep(TICK_MS), ...inFlight])
          continue
        }
        const want = Math.min(batchSize, room)
        if (want <= 0) {
          // The tier is full: try again in a minute.
          await settleAll()
          wakeAt = Date.now() + 60_000
          break
        }
        // The number's rate is taken per request as it leaves (sendTemplateBatch).
        const claimed = await claim(tenant, campaign.id, want)
        if (!claimed.length) {
          if (inFlight.size) {
            await Promise.race(inFlight)
            continue
          }
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
          if (left.nextDue && left.nextDue.getTime() > Date.now() + TICK_MS) {
            wakeAt = Math.min(left.nextDue.getTime(), Date.now() + RUN_MS)
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
        lined += claimed.length
        let taken = 0
        const batchTurn = () => {
          taken++
          return turn()
        }
        const work = sendBatch(tenant, campaign, channel, marketing, claimed, batchTurn, lease)
          .then((slow) => {
            if (slow) slowUntil = Date.now() + SLOW_DOWN_MS
          })
          .catch((error) =>
            logger.error({ err: error, tenant: tenant.slug }, 'campaign batch failed')
          )
          .finally(() => {
            inFlight.delete(work)
            // Whatever of it never reached its turn (skipped, withdrawn) is no longer lined up.
            lined -= claimed.length - taken
          })
        inFlight.add(work)
      }
    } finally {
      await settleAll()
    }
    const delay = wakeAt ? Math.max(0, wakeAt - Date.now()) : 0
    // A successor starting soon keeps the lease; one waiting long takes it again.
    const keep = delay < 2_000
    if (keep) await renew()
    await dispatchTenantJob(
      CampaignDispatchJob,
      tenant,
      {
        campaignId: campaign.id,
        generation: payload.generation,
        chain,
        lease: keep ? holder : undefined,
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

/** Whether the campaign is still this dispatcher's to send (one statement naming the schema). */
async function stillCurrent(tenant: TenantContext, { campaignId, generation }: Payload) {
  const result = await db.rawQuery(
    `select status, generation from ${tenant.table('campaigns')} where id = ?`,
    [campaignId]
  )
  const row = result.rows[0] as { status: string; generation: number } | undefined
  return Boolean(
    row && row.generation === generation && (row.status === 'running' || row.status === 'scheduled')
  )
}

/** Unique users the channel may still start conversations with now (its tier minus the last 24 h). */
async function tierRoom(tenant: TenantContext, channel: Channel) {
  const tier = channel.settings.messagingTier
  if (!tier) return Number.POSITIVE_INFINITY
  const since = new Date(Date.now() - 24 * 3600 * 1000)
  return tier - (await templateRecipientsSince(tenant, channel.id, since))
}

/** The next recipients due, committed as `sending` (one statement naming the tenant's schema). */
async function claim(tenant: TenantContext, campaignId: string, limit: number) {
  const table = tenant.table('campaign_recipients')
  const result = await db.rawQuery(
    `update ${table} r set status = 'sending', claimed_at = now()
      where r.id in (
        select id from ${table}
         where campaign_id = ?
           and ((status = 'queued' and due_at <= now())
             or (status = 'sending' and claimed_at < now() - make_interval(secs => ?)))
         order by due_at, id limit ? for update skip locked)
      returning r.id, r.contact_id, r.time_zone, r.variables, r.attempt`,
    [campaignId, STALE_CLAIM_SECONDS, limit]
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

type Settlement =
  | { id: string; status: 'queued'; dueAt: Date; newAttempt?: boolean }
  | { id: string; status: 'skipped'; reason: string }
  | {
      id: string
      status: 'failed'
      code: number | null
      title: string
      retryable: boolean
      retryAfter: Date | null
      messageId: string | null
    }
  | { id: string; status: 'sent'; messageId: string }
  /**
   * In doubt: the message is known, its fate not yet; looked at again after
   * STALE_CLAIM_SECONDS, or RECHECK_SECONDS with `recheck`.
   */
  | { id: string; status: 'sending'; messageId: string; recheck?: boolean }
  | { id: string; status: 'accepted'; messageId: string }

/** Every recipient of a batch moved in one statement (only those this claim still holds). */
async function settleMany(tenant: TenantContext, rows: Settlement[]) {
  if (!rows.length) return
  const pick = <T>(f: (row: any) => T) => rows.map((row) => f(row) ?? null)
  await db.rawQuery(
    `update ${tenant.table('campaign_recipients')} r
        set status = case when v.status = 'queued' and c.status = 'cancelled' then 'skipped'
                          else v.status end,
            skip_reason = case when v.status = 'queued' and c.status = 'cancelled' then 'cancelled'
                               else coalesce(v.reason, r.skip_reason) end,
            error_code = case when v.status = 'failed' then v.code else r.error_code end,
            error_title = case when v.status = 'failed' then v.title else r.error_title end,
            retryable = case when v.status = 'failed' then v.retryable else r.retryable end,
            retry_after = case when v.status = 'failed' then v.retry_after else r.retry_after end,
            failed_at = case when v.status = 'failed' then now() else r.failed_at end,
            sent_at = case when v.status = 'sent' then coalesce(r.sent_at, now()) else r.sent_at end,
            attempt = r.attempt + case when v.new_attempt then 1 else 0 end,
            message_id = case when v.new_attempt then null else coalesce(v.message_id, r.message_id) end,
            due_at = coalesce(v.due_at, r.due_at),
            claimed_at = case when v.status <> 'sending' then null
                              when v.recheck then now() - make_interval(secs => ?)
                              else now() end
       from unnest(?::bigint[], ?::text[], ?::text[], ?::int[], ?::text[], ?::bool[],
                   ?::timestamptz[], ?::uuid[], ?::timestamptz[], ?::bool[], ?::bool[])
         as v(id, status, reason, code, title, retryable, retry_after, message_id, due_at,
              new_attempt, recheck),
         ${tenant.table('campaigns')} c
      where r.id = v.id and r.status = 'sending' and c.id = r.campaign_id`,
    [
      STALE_CLAIM_SECONDS - RECHECK_SECONDS,
      pick((r) => r.id),
      pick((r) => r.status),
      pick((r) => r.reason),
      pick((r) => r.code),
      pick((r) => r.title),
      pick((r) => r.retryable ?? false),
      pick((r) => r.retryAfter),
      pick((r) => r.messageId),
      pick((r) => r.dueAt),
      pick((r) => r.newAttempt ?? false),
      pick((r) => r.recheck ?? false),
    ]
  )
}

/** What WhatsApp's refusal means for a recipient. */
function refused(
  id: string,
  messageId: string,
  code: number | null,
  title: string,
  retryable: boolean
): Settlement {
  if (code === SLOW_DOWN) {
    // Throughput: the same person again in a few seconds, as a new message.
    return {
      id,
      status: 'queued',
      dueAt: new Date(Date.now() + SLOW_DOWN_MS),
      newAttempt: true,
    }
  }
  const capped = code === MARKETING_CAP
  return {
    id,
    status: 'failed',
    code,
    title,
    retryable: capped || retryable,
    retryAfter: capped ? new Date(Date.now() + 24 * 3600 * 1000) : null,
    messageId,
  }
}

/**
 * One batch of claimed recipients: quiet hours and consent checked again
 * now, conversations found or opened in one statement, the messages sent
 * through the channels module's bulk door, and every outcome recorded in
 * one statement. True when WhatsApp asked to slow down.
 */
async function sendBatch(
  tenant: TenantContext,
  campaign: Campaign,
  channel: Channel,
  marketing: boolean,
  claimed: Claimed[],
  turn: () => Promise<boolean>,
  lease: HeldLease
): Promise<boolean> {
  const settlements: Settlement[] = []
  const now = DateTime.now()
  const awake: Claimed[] = []
  for (const recipient of claimed) {
    const quiet = quietUntil(now, recipient.time_zone, {
      start: campaign.quietStart,
      end: campaign.quietEnd,
    })
    if (quiet) settlements.push({ id: recipient.id, status: 'queued', dueAt: quiet.toJSDate() })
    else awake.push(recipient)
  }
  let slow = false
  try {
    const contacts = await conversationsForSendMany(
      tenant,
      awake.map((r) => r.contact_id),
      channel.id,
      { marketing }
    )
    const sends: TemplateBatchSend[] = []
    for (const recipient of awake) {
      const contact = contacts.get(recipient.contact_id)
      const to = contact?.phone ?? contact?.waId
      if (!contact || !to) {
        settlements.push({ id: recipient.id, status: 'skipped', reason: 'contact_deleted' })
      } else if (contact.optIn === 'opted_out') {
        settlements.push({ id: recipient.id, status: 'skipped', reason: 'opted_out' })
      } else if (marketing && contact.marketingConsent === 'opted_out') {
        settlements.push({ id: recipient.id, status: 'skipped', reason: 'marketing_opted_out' })
      } else if (!contact.conversationId) {
        settlements.push({
          id: recipient.id,
          status: 'failed',
          code: null,
          title: 'The plan’s conversations this month are used up',
          retryable: true,
          retryAfter: null,
          messageId: null,
        })
      } else {
        sends.push({
          ref: recipient.id,
          idempotencyKey: `campaign:${campaign.id}:${recipient.id}:${recipient.attempt}`,
          conversationId: contact.conversationId,
          contactId: contact.contactId,
          to,
          variables: recipient.variables,
        })
      }
    }
    const outcomes = await sendTemplateBatch(
      tenant,
      channel,
      { name: campaign.templateName, language: campaign.templateLanguage },
      sends,
      {
        beforeEach: turn,
        // Written only while this run surely holds the lease: a run that
        // lost it (stalled past LEASE_MS) writes nothing more, so the run
        // that takes over knows what it left in doubt can no longer leave.
        mayWrite: () => performance.now() < lease.until,
        sender: lease.holder,
      }
    )
    const doubtful: string[] = []
    const doubtOf = new Map<string, string>()
    const withdrawn: string[] = []
    const contactOf = new Map(sends.map((s) => [s.ref, s.contactId]))
    for (const outcome of outcomes) {
      const id = outcome.ref
      switch (outcome.kind) {
        case 'accepted':
          settlements.push({ id, status: 'sent', messageId: outcome.messageId })
          break
        case 'failed':
          if (outcome.code === SLOW_DOWN) slow = true
          if (outcome.code === MARKETING_STOPPED) withdrawn.push(contactOf.get(id)!)
          settlements.push(
            refused(id, outcome.messageId, outcome.code, outcome.title, outcome.retryable)
          )
          break
        case 'unknown':
          settlements.push({ id, status: 'sending', messageId: outcome.messageId })
          break
        case 'withdrawn':
          // Never sent (the campaign stopped first): waits for a resume.
          settlements.push({ id, status: 'queued', dueAt: new Date() })
          break
        case 'existing':
          // Claimed again after a crash: the message its first claim wrote.
          if (outcome.externalId) {
            settlements.push({ id, status: 'sent', messageId: outcome.messageId })
          } else if (outcome.status === 'failed') {
            settlements.push(
              refused(
                id,
                outcome.messageId,
                outcome.errorCode,
                outcome.errorTitle ?? 'Failed',
                false
              )
            )
          } else if (outcome.inFlight) {
            doubtful.push(outcome.messageId)
            doubtOf.set(outcome.messageId, id)
          } else {
            settlements.push({ id, status: 'accepted', messageId: outcome.messageId })
          }
          break
      }
    }
    if (doubtful.length) {
      // In doubt since a crash: WhatsApp's status webhook names a message it
      // took (and gives it its id); one it never named after DOUBT_MS it did
      // not take, and the person gets it as a new attempt. Until then, wait.
      const settled = await settleInDoubt(tenant, doubtful, doubtMs(), {
        sender: lease.holder,
        channelId: channel.id,
        reportedSince: new Date(lease.takenAt.getTime() + REPORTED_AFTER_MS),
      })
      const removed = new Set(settled.removed)
      const abandoned = new Set(settled.abandoned)
      for (const messageId of doubtful) {
        const id = doubtOf.get(messageId)!
        settlements.push(
          removed.has(messageId)
            ? // Its request never left: sent now, under the same key.
              { id, status: 'queued', dueAt: new Date() }
            : abandoned.has(messageId)
              ? { id, status: 'queued', dueAt: new Date(), newAttempt: true }
              : { id, status: 'sending', messageId, recheck: true }
        )
      }
    }
    await settleMany(tenant, settlements)
    for (const contactId of withdrawn) await withdrawMarketingConsent(tenant, contactId)
  } catch (error) {
    if (!(error instanceof ChannelError) && !(error instanceof PlanLimitError)) {
      logger.error({ err: error, tenant: tenant.slug }, 'campaign batch failed')
    }
    // Whatever this batch had not recorded is tried again in a minute (a
    // message already written is met again by its key, never sent twice).
    const done = new Set(settlements.map((s) => s.id))
    await settleMany(tenant, [
      ...settlements,
      ...claimed
        .filter((r) => !done.has(r.id))
        .map((r): Settlement => ({
          id: r.id,
          status: 'queued',
          dueAt: new Date(Date.now() + 60_000),
        })),
    ]).catch(() => {})
  }
  return slow
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
