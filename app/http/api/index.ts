/*
| The REST toolkit every module's /api/v1 routes use: errors in the fixed
| {"error": {code, message, fields?}} shape, JSON bodies validated with
| VineJS, snake_case serialization, cursor pagination, Idempotency-Key
| replay, the OpenAPI registration and API key scopes. Route files take
| apiV1() and apiScope() from '#app/http/api/routes' (it needs the booted
| router, so it stays out of this index).
*/
export * from './errors.js'
export * from './body.js'
export * from './serialization.js'
export * from './pagination.js'
export * from './idempotency.js'
export * from './docs.js'
export * from './scopes.js'
