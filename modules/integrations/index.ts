/*
| Integrations owns how programs use a workspace: API keys and their scopes,
| the REST API v1 surface with its shared conventions (errors, pagination,
| idempotency, rate limits), and, as it grows, outbound webhooks.
*/
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
export {
  API_AREAS,
  ALL_SCOPES,
  hasScope,
  normalizeScopes,
  parseScopeList,
  type ApiArea,
  type ApiScope,
} from './services/scopes.js'
export { ApiError, renderApiError, isApiRequest, type FieldErrors } from './services/api_errors.js'
export { apiBody, validateApiBody } from './services/api_body.js'
export { apiTime, serialize, snakeCase, sendJson } from './services/api_serialization.js'
export {
  keysetPage,
  pageBody,
  pageRequestFrom,
  encodeCursor,
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type PageRequest,
} from './services/cursor_pagination.js'
export { idempotent, purgeExpiredIdempotencyKeys, type ApiResult } from './services/idempotency.js'
export { defaultRequestsPerMinute, requestsPerMinuteFor } from './services/api_rate_limit.js'

export { registerWebhookListeners } from './webhook_listeners.js'
export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './services/webhook_events.js'

export const integrationsPolicies = {
  ApiKeysPolicy: () => import('./policies/api_keys_policy.js'),
  WebhooksPolicy: () => import('./policies/webhooks_policy.js'),
}
export { apiV1, apiScope } from './api_routes.js'
export {
  describeApiTag,
  documentApi,
  documentSchema,
  describeRule,
  type ApiOperationDoc,
  type JsonSchema,
} from './services/api_docs.js'
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
