/*
| Integrations owns how programs use a workspace: API keys (their scopes are
| the toolkit's, app/http/api/scopes.ts),
| the REST API v1 resources and their OpenAPI document, rate limits, and
| outbound webhooks. The REST toolkit itself (errors, pagination,
| idempotency, apiV1) is cross-cutting and lives in app/http/api.
*/
import './permissions.js'
import ApiKey from './models/api_key.js'

export { ApiKey }
export { TOKEN_PREFIX } from './models/api_key.js'
export {
  createApiKey,
  revokeApiKey,
  listApiKeys,
  findTenantApiKey,
  checkToken,
  type NewApiKey,
} from './services/api_key_service.js'
export { defaultRequestsPerMinute, requestsPerMinuteFor } from './services/api_rate_limit.js'

export { registerWebhookListeners } from './webhook_listeners.js'
export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './services/webhook_events.js'

export const integrationsPolicies = {
  ApiKeysPolicy: () => import('./policies/api_keys_policy.js'),
  WebhooksPolicy: () => import('./policies/webhooks_policy.js'),
}
/*
| The outbound webhook machinery other modules reuse for their own signed
| POSTs (hitl's task callbacks): the signature scheme, the guarded POST,
| the retry schedule and the queue, and publishing a webhook event.
*/
export {
  SIGNATURE_HEADER,
  signatureHeader,
  verifySignature,
  newWebhookSecret,
} from './services/webhook_signing.js'
export { postWebhook, type PostOutcome } from './services/webhook_http.js'
export {
  publishEvent,
  retryDelayMs,
  type EventLoader,
} from './services/webhook_delivery_service.js'
export { webhookSettings, checkTargetUrl } from './services/webhook_subscription_service.js'
export { WEBHOOKS_QUEUE } from './jobs/deliver_webhook_job.js'
export { apiActor } from './controllers/api/api_actor.js'
