import type WebhookSubscription from '../models/webhook_subscription.js'
import type WebhookDelivery from '../models/webhook_delivery.js'
import { ApiError, serialize } from '#app/http/api/index'
import { WebhookError } from './webhook_subscription_service.js'

/** A subscription as the API shows it; the secret only where `withSecret` (create, rotate). */
export function presentWebhook(subscription: WebhookSubscription, withSecret = false) {
  const body = serialize(subscription, [
    'id',
    'url',
    'events',
    'description',
    'active',
    'createdVia',
    'failingSince',
    'disabledReason',
    'disabledAt',
    'createdAt',
    'updatedAt',
  ])
  return withSecret ? { ...body, secret: subscription.secret } : body
}

export function presentDelivery(delivery: WebhookDelivery) {
  return serialize(delivery, [
    'id',
    'eventId',
    'eventType',
    'status',
    'attempts',
    'lastStatusCode',
    'lastError',
    'lastDurationMs',
    'lastAttemptAt',
    'nextAttemptAt',
    'deliveredAt',
    'createdAt',
  ])
}

/** A refused subscription as the API's error, naming the field (the hooks API calls it target_url). */
export function apiErrorOf(error: unknown, fieldNames: Record<string, string> = {}) {
  if (!(error instanceof WebhookError)) return error
  const field = error.field ? (fieldNames[error.field] ?? error.field) : null
  return new ApiError(
    error.status,
    error.code!,
    error.message,
    field ? { [field]: [error.message] } : undefined
  )
}
