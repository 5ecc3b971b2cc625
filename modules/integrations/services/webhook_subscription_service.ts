import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import { Exception } from '@adonisjs/core/exceptions'
import type { TenantContext } from '#modules/tenancy/index'
import { assertPublicTarget, BlockedAddressError } from '#app/net/outbound_guard'
import WebhookSubscription from '../models/webhook_subscription.js'
import type webhooksConfig from '#config/webhooks'
import { newWebhookSecret } from './webhook_signing.js'
import { normalizeEventList } from './webhook_events.js'

/** A subscription request refused; `field` names the form or API field at fault. */
export class WebhookError extends Exception {
  constructor(
    code: string,
    message: string,
    readonly field: string | null = null,
    status = 422
  ) {
    super(message, { code, status })
  }
}

export function webhookSettings() {
  return app.config.get<typeof webhooksConfig>('webhooks')
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The target must be http(s) and, unless the operator allows private
 * targets, resolve only to public addresses. Checked here, when someone
 * subscribes, so the mistake is shown at once; the delivery checks again
 * at connect time, since DNS answers can change.
 */
export async function checkTargetUrl(raw: string): Promise<string> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new WebhookError('invalid_url', 'Give a full http:// or https:// address', 'url')
  }
  if (url.username || url.password) {
    throw new WebhookError('invalid_url', 'Put credentials in a header, not in the URL', 'url')
  }
  try {
    await assertPublicTarget(url, { allowPrivate: webhookSettings().allowPrivateTargets })
  } catch (error) {
    if (!(error instanceof BlockedAddressError)) throw error
    const code = error.reason === 'private_address' ? 'private_target' : 'invalid_url'
    throw new WebhookError(code, error.message, 'url')
  }
  return url.toString()
}

export interface SubscriptionInput {
  url: string
  events: string[]
  description?: string | null
  createdVia?: WebhookSubscription['createdVia']
}

export async function listSubscriptions(tenant: TenantContext) {
  return tenant.transaction((trx) =>
    WebhookSubscription.query({ client: trx }).orderBy('created_at', 'desc').orderBy('id')
  )
}

export async function findSubscription(tenant: TenantContext, id: string) {
  if (!UUID.test(id)) return null
  return tenant.transaction((trx) => WebhookSubscription.find(id, { client: trx }))
}

/** Creates a subscription with a fresh secret; the secret is readable later to managers. */
export async function createSubscription(tenant: TenantContext, input: SubscriptionInput) {
  const url = await checkTargetUrl(input.url)
  const events = normalizeEventList(input.events)
  if (!events.length)
    throw new WebhookError('events_required', 'Choose at least one event', 'events')
  return tenant.transaction(async (trx) => {
    const subscription = new WebhookSubscription()
    subscription.useTransaction(trx)
    subscription.merge({
      url,
      events,
      description: input.description?.trim() || null,
      active: true,
      createdVia: input.createdVia ?? 'workspace',
    })
    subscription.secret = newWebhookSecret()
    await subscription.save()
    return subscription
  })
}

export interface SubscriptionChanges {
  url?: string
  events?: string[]
  description?: string | null
  active?: boolean
}

/**
 * Changes a subscription. Turning it on again starts a fresh count of
 * failures and forgets why it was turned off.
 */
export async function updateSubscription(
  tenant: TenantContext,
  id: string,
  changes: SubscriptionChanges
) {
  const url = changes.url !== undefined ? await checkTargetUrl(changes.url) : undefined
  const events = changes.events !== undefined ? normalizeEventList(changes.events) : undefined
  if (events && !events.length) {
    throw new WebhookError('events_required', 'Choose at least one event', 'events')
  }
  if (!UUID.test(id)) throw notFound()
  return tenant.transaction(async (trx) => {
    const subscription = await WebhookSubscription.query({ client: trx })
      .where('id', id)
      .forUpdate()
      .first()
    if (!subscription) throw notFound()
    if (url !== undefined) subscription.url = url
    if (events !== undefined) subscription.events = events
    if (changes.description !== undefined) {
      subscription.description = changes.description?.trim() || null
    }
    if (changes.active !== undefined && changes.active !== subscription.active) {
      subscription.active = changes.active
      subscription.failingSince = null
      subscription.disabledReason = null
      subscription.disabledAt = changes.active ? null : DateTime.now()
    }
    await subscription.useTransaction(trx).save()
    return subscription
  })
}

/** A new secret, in force for the next delivery attempt; the old one stops at once. */
export async function rotateSecret(tenant: TenantContext, id: string) {
  if (!UUID.test(id)) throw notFound()
  return tenant.transaction(async (trx) => {
    const subscription = await WebhookSubscription.find(id, { client: trx })
    if (!subscription) throw notFound()
    subscription.secret = newWebhookSecret()
    await subscription.useTransaction(trx).save()
    return subscription
  })
}

/** How long a deleted subscription's id is remembered for a repeated delete. */
const DELETED_KEPT = '90 days'

/**
 * Deletes a subscription and its delivery log; pending deliveries find it
 * gone and stop. Its id is remembered, so a client repeating the delete
 * (an unsubscribe retried) can be told it is already gone.
 */
export async function deleteSubscription(tenant: TenantContext, id: string) {
  if (!UUID.test(id)) throw notFound()
  return tenant.transaction(async (trx) => {
    const subscription = await WebhookSubscription.find(id, { client: trx })
    if (!subscription) throw notFound()
    await subscription.useTransaction(trx).delete()
    await trx.rawQuery(
      `with forgotten as (
         delete from deleted_webhook_subscriptions where deleted_at < now() - ?::interval
       )
       insert into deleted_webhook_subscriptions (id) values (?) on conflict (id) do nothing`,
      [DELETED_KEPT, id]
    )
    return subscription
  })
}

/** Whether this tenant had a subscription `id` and deleted it (within DELETED_KEPT). */
export async function wasSubscriptionDeleted(tenant: TenantContext, id: string) {
  if (!UUID.test(id)) return false
  const row = await tenant.transaction((trx) =>
    trx.from('deleted_webhook_subscriptions').where('id', id).first()
  )
  return !!row
}

function notFound() {
  return new WebhookError('not_found', 'No such webhook in this workspace', null, 404)
}
