import { createHash, randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import { CentralCache, centralVersion } from '#app/cache/central_cache'
import WebhookDelivery from '../models/webhook_delivery.js'
import WebhookSubscription from '../models/webhook_subscription.js'
import DeliverWebhookJob, { WEBHOOKS_QUEUE } from '../jobs/deliver_webhook_job.js'
import { postWebhook } from './webhook_http.js'
import {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
} from './webhook_signing.js'
import { TEST_EVENT_TYPE } from './webhook_events.js'
import { WebhookError, webhookSettings } from './webhook_subscription_service.js'
import { notifyOwnersOfDisabledWebhook } from './webhook_notices.js'

/*
| From an event to a receiver's 2xx.
|
| publishEvent writes one delivery row per interested subscription, in the
| tenant's schema, with the envelope as it will be sent (every attempt signs
| the same bytes). The row's (subscription, event id) is unique, and the id
| of an event that has a natural key (a message received, a status reached)
| is derived from that key, so an event emitted twice is delivered once.
| Each row gets one queue job, named after it.
|
| attemptDelivery claims the row (status `sending`), posts it, and records
| the outcome: 2xx delivered; 410 Gone disables the subscription; anything
| else (4xx, 5xx, timeout, refused) schedules a retry with exponential
| backoff and jitter until 24 hours after the event. A subscription that
| has not had a success for 24 hours while failing is disabled and its
| owners are told. A delivered row is never sent again except by an
| explicit redelivery, which is how "exactly once" holds for a receiver that
| fails a few times and then succeeds.
*/

export type EventLoader = (trx: TransactionClientContract) => Promise<unknown | null>

/** `evt_` and 32 hex characters: from the natural key when there is one. */
export function eventIdFor(tenant: Pick<TenantContext, 'id'>, key: string | null) {
  const hex = key
    ? createHash('sha256').update(`${tenant.id}:${key}`).digest('hex').slice(0, 32)
    : randomUUID().replaceAll('-', '')
  return `evt_${hex}`
}

function envelope(
  tenant: Pick<TenantContext, 'id' | 'slug'>,
  eventId: string,
  type: string,
  data: unknown
) {
  return JSON.stringify({
    id: eventId,
    type,
    created_at: new Date().toISOString(),
    tenant: { id: tenant.id, slug: tenant.slug },
    data,
  })
}

/**
 * Queues `type` for every active subscription that wants it. `load` reads
 * the event's data in the same transaction and runs only when someone
 * listens; a null from it (the record is gone) sends nothing. Returns the
 * ids of the new deliveries.
 */
export async function publishEvent(
  tenant: TenantContext,
  type: string,
  key: string | null,
  load: EventLoader
): Promise<string[]> {
  // Most events of most workspaces have no subscriber: the kept list of
  // subscribed types says so, instead of a whole tenant transaction per event.
  if (!(await hasSubscribers(tenant, type))) return []
  const created = await tenant.transaction(async (trx) => {
    const subscriptions = await trx
      .from('webhook_subscriptions')
      .where('active', true)
      .whereRaw(`(? = any(events) or '*' = any(events))`, [type])
      .select('id')
    if (!subscriptions.length) return []
    const data = await load(trx)
    if (data === null || data === undefined) return []
    const eventId = eventIdFor(tenant, key)
    const body = envelope(tenant, eventId, type, data)
    const inserted = await trx.rawQuery(
      `insert into webhook_deliveries (subscription_id, event_id, event_type, body)
        select unnest(?::uuid[]), ?, ?, ?
        on conflict (subscription_id, event_id) do nothing
        returning id`,
      [subscriptions.map((row: { id: string }) => row.id), eventId, type, body]
    )
    return inserted.rows.map((row: { id: string }) => row.id as string)
  })
  for (const id of created) await dispatchDelivery(tenant, id)
  return created
}

/**
 * The event types each tenant's active subscriptions listen to, kept while
 * the central version holds: a subscription's save or delete raises it, so
 * a new or disabled subscription counts from the next event on.
 */
const subscribedTypes = new CentralCache<Set<string>>()

async function hasSubscribers(tenant: TenantContext, type: string) {
  const types = await subscribedTypes.get(tenant.id, await centralVersion(), async () => {
    const result = await db.rawQuery(
      `select distinct unnest(events) as type from ${tenant.table('webhook_subscriptions')}
        where active`
    )
    return new Set<string>(result.rows.map((row: { type: string }) => row.type))
  })
  return !!types && (types.has(type) || types.has('*'))
}

/**
 * Queues a delivery's job: one per delivery (and per manual redelivery or
 * recovery, named by `round`), so a repeated dispatch adds nothing.
 */
export function dispatchDelivery(
  tenant: Pick<TenantContext, 'slug'>,
  deliveryId: string,
  round: string | null = null
) {
  return dispatchTenantJob(
    DeliverWebhookJob,
    tenant,
    { deliveryId },
    {
      queueName: WEBHOOKS_QUEUE,
      jobId: `webhook-${tenant.slug}-${deliveryId}${round ? `-${round}` : ''}`,
    }
  )
}

/** "Send test event": a `webhook.test` to this subscription alone, logged like any delivery. */
export async function sendTestEvent(tenant: TenantContext, subscriptionId: string) {
  const id = await tenant.transaction(async (trx) => {
    const subscription = await WebhookSubscription.find(subscriptionId, { client: trx })
    if (!subscription) throw new WebhookError('not_found', 'No such webhook', null, 404)
    if (!subscription.active) {
      throw new WebhookError('inactive', 'Turn the webhook on before sending a test event')
    }
    const eventId = eventIdFor(tenant, null)
    const body = envelope(tenant, eventId, TEST_EVENT_TYPE, {
      subscription_id: subscription.id,
      message: 'A test event from FloMastr: your endpoint is reachable and the signature verifies.',
    })
    const delivery = await WebhookDelivery.create(
      {
        subscriptionId: subscription.id,
        eventId,
        eventType: TEST_EVENT_TYPE,
        body,
        status: 'pending',
      },
      { client: trx }
    )
    return delivery.id
  })
  await dispatchDelivery(tenant, id)
  return id
}

/**
 * Sends a delivery again, whatever became of it, with a fresh 24-hour
 * window: for a receiver that lost an event, or after fixing an endpoint.
 */
export async function redeliver(tenant: TenantContext, subscriptionId: string, deliveryId: string) {
  await tenant.transaction(async (trx) => {
    const subscription = await WebhookSubscription.find(subscriptionId, { client: trx })
    const delivery = subscription
      ? await WebhookDelivery.query({ client: trx })
          .where('id', deliveryId)
          .where('subscription_id', subscription.id)
          .forUpdate()
          .first()
      : null
    if (!subscription || !delivery)
      throw new WebhookError('not_found', 'No such delivery', null, 404)
    if (!subscription.active) {
      throw new WebhookError('inactive', 'Turn the webhook on before redelivering')
    }
    if (delivery.status === 'sending') {
      throw new WebhookError('in_progress', 'This delivery is being sent right now', null, 409)
    }
    delivery.merge({ status: 'pending', nextAttemptAt: null, windowStartedAt: DateTime.now() })
    await delivery.useTransaction(trx).save()
  })
  await dispatchDelivery(tenant, deliveryId, `r${Date.now()}`)
}

export async function listDeliveries(tenant: TenantContext, subscriptionId: string, limit = 50) {
  return tenant.transaction((trx) =>
    WebhookDelivery.query({ client: trx })
      .where('subscription_id', subscriptionId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
  )
}

/** The next wait: base × 2^(n−1), capped, less up to 20 % so retries of many events spread out. */
export function retryDelayMs(attempts: number, random = Math.random()) {
  const { retryBaseDelayMs, maxRetryDelayMs } = webhookSettings()
  const full = Math.min(maxRetryDelayMs, retryBaseDelayMs * 2 ** Math.max(0, attempts - 1))
  return Math.max(1, Math.round(full * (1 - 0.2 * random)))
}

export type AttemptResult = { retryAt: Date } | null

type Claim =
  | { kind: 'settled' }
  | { kind: 'busy'; retryAt: Date }
  | { kind: 'send'; delivery: WebhookDelivery; url: string; secret: string }

/**
 * One attempt at a delivery (the job's work). Returns when to try again,
 * or null when the delivery is settled (delivered, given up, or gone).
 */
export async function attemptDelivery(
  tenant: TenantContext,
  deliveryId: string
): Promise<AttemptResult> {
  const settings = webhookSettings()
  // An attempt still marked `sending` after this long was cut off (a worker died).
  const staleAfterMs = settings.timeoutMs + 5_000
  const claim = await tenant.transaction(async (trx): Promise<Claim> => {
    const delivery = await WebhookDelivery.query({ client: trx })
      .where('id', deliveryId)
      .forUpdate()
      .first()
    if (!delivery || delivery.status === 'delivered' || delivery.status === 'failed') {
      return { kind: 'settled' }
    }
    if (delivery.status === 'sending' && delivery.attemptStartedAt) {
      const freeAt = delivery.attemptStartedAt.toMillis() + staleAfterMs
      if (freeAt > Date.now()) return { kind: 'busy', retryAt: new Date(freeAt) }
    }
    const subscription = await WebhookSubscription.find(delivery.subscriptionId, { client: trx })
    if (!subscription || !subscription.active) {
      delivery.merge({
        status: 'failed',
        nextAttemptAt: null,
        lastError: 'The webhook is turned off',
      })
      await delivery.useTransaction(trx).save()
      return { kind: 'settled' }
    }
    delivery.merge({ status: 'sending', attemptStartedAt: DateTime.now() })
    await delivery.useTransaction(trx).save()
    return { kind: 'send', delivery, url: subscription.url, secret: subscription.secret }
  })
  if (claim.kind === 'settled') return null
  if (claim.kind === 'busy') return { retryAt: claim.retryAt }

  const { delivery } = claim
  const outcome = await postWebhook(
    claim.url,
    delivery.body,
    {
      [SIGNATURE_HEADER]: signatureHeader(
        claim.secret,
        delivery.body,
        Math.floor(Date.now() / 1000)
      ),
      [EVENT_ID_HEADER]: delivery.eventId,
      [EVENT_TYPE_HEADER]: delivery.eventType,
    },
    {
      timeoutMs: settings.timeoutMs,
      allowPrivate: settings.allowPrivateTargets,
      excerptChars: settings.responseExcerptChars,
    }
  )

  const recorded = await tenant.transaction(async (trx) => {
    const row = await WebhookDelivery.query({ client: trx })
      .where('id', deliveryId)
      .forUpdate()
      .first()
    if (!row) return { retryAt: null, disabled: null }
    const subscription = await WebhookSubscription.query({ client: trx })
      .where('id', row.subscriptionId)
      .forUpdate()
      .first()
    const now = DateTime.now()
    row.merge({
      attempts: row.attempts + 1,
      lastStatusCode: outcome.status,
      lastResponseExcerpt: outcome.excerpt,
      lastError: outcome.error,
      lastDurationMs: outcome.durationMs,
      lastAttemptAt: now,
      attemptStartedAt: null,
    })
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300
    let retryAt: Date | null = null
    let disabled: WebhookSubscription['disabledReason'] = null

    if (ok) {
      row.merge({ status: 'delivered', deliveredAt: now, nextAttemptAt: null })
      if (subscription?.failingSince) {
        subscription.failingSince = null
        await subscription.useTransaction(trx).save()
      }
    } else if (subscription) {
      subscription.failingSince ??= now
      if (outcome.status === 410) disabled = 'gone'
      else if (now.toMillis() - subscription.failingSince.toMillis() >= settings.disableAfterMs) {
        disabled = 'failing'
      }
      if (disabled && subscription.active) {
        subscription.merge({ active: false, disabledReason: disabled, disabledAt: now })
        // Its other deliveries would only fail in turn; they stay in the log to redeliver.
        await trx
          .from('webhook_deliveries')
          .where('subscription_id', subscription.id)
          .whereIn('status', ['pending', 'retrying'])
          .whereNot('id', row.id)
          .update({
            status: 'failed',
            next_attempt_at: null,
            last_error: 'The webhook was turned off',
          })
      }
      await subscription.useTransaction(trx).save()
      const delay = retryDelayMs(row.attempts)
      const windowEnds = row.windowStartedAt.toMillis() + settings.retryWindowMs
      if (disabled || !subscription.active) {
        row.merge({ status: 'failed', nextAttemptAt: null })
      } else if (Date.now() + delay > windowEnds) {
        row.merge({ status: 'failed', nextAttemptAt: null })
      } else {
        retryAt = new Date(Date.now() + delay)
        row.merge({ status: 'retrying', nextAttemptAt: DateTime.fromJSDate(retryAt) })
      }
    } else {
      row.merge({ status: 'failed', nextAttemptAt: null })
    }
    await row.useTransaction(trx).save()
    return { retryAt, disabled: disabled ? subscription : null }
  })

  if (recorded.disabled) {
    await notifyOwnersOfDisabledWebhook(tenant, recorded.disabled).catch((error) => {
      logger.error({ err: error, tenant: tenant.slug }, 'webhook disabled notice not sent')
    })
  }
  return recorded.retryAt ? { retryAt: recorded.retryAt } : null
}
