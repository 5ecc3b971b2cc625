/*
| The OpenAPI 3.1 document of /api/v1, built from two sources that cannot
| drift apart: the router (which routes exist, their methods and path
| parameters) and the operation registry (documentApi), whose request bodies
| are the validators the controllers run. A route nobody documented is left
| out here and named by the coverage test; the shared conventions (errors,
| pagination, rate limits, idempotency) are added the same way everywhere.
*/
import {
  type ApiOperationDoc,
  type ApiParameterDoc,
  type ApiResponseDoc,
  type JsonSchema,
  type WebhookEventDoc,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
} from '#app/http/api/index'
import {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
} from '../services/webhook_signing.js'
import { vineToJsonSchema } from './vine_json_schema.js'

export const API_PREFIX = '/api/v1'
/** The route of the document itself: public, and not an operation of the API. */
export const DOCUMENT_ROUTE_NAME = 'api.v1.openapi'

export interface ApiRoute {
  method: string
  /** The router's pattern, e.g. /api/v1/contacts/:id */
  pattern: string
  name: string | undefined
}

export interface DocumentSources {
  routes: ApiRoute[]
  operations: ReadonlyMap<string, ApiOperationDoc>
  schemas: ReadonlyMap<string, JsonSchema>
  webhookEvents?: ReadonlyMap<string, WebhookEventDoc>
  /** describeApiTag(): tag name to description. */
  tagDescriptions?: ReadonlyMap<string, string>
  version: string
}

/**
 * The operationId of an outbound webhook event (the document's `webhooks`
 * section): client generators name their handler types by it, so it is
 * derived from the event type alone and never changes while the type exists.
 */
export function webhookOperationId(type: string) {
  return `event.${type}`
}

/** Fixed values of a sample envelope, so the document (and its ETag) stay the same between starts. */
const SAMPLE_ENVELOPE = {
  id: 'evt_5f0c2a9e7b1d4c3a8e6f0b2d4a6c8e01',
  created_at: '2026-01-31T09:00:00.000Z',
  tenant: { id: '0b6f3c2e-6a51-4c1e-9d3b-2f7a8e4c5d61', slug: 'acme' },
}

/** The router's :param to OpenAPI's {param}, and the /api/v1 prefix off (it is the server). */
export function openApiPath(pattern: string) {
  const path = pattern.startsWith(API_PREFIX) ? pattern.slice(API_PREFIX.length) || '/' : pattern
  return path.replace(/:(\w+)\??/g, '{$1}')
}

export function pathParamsOf(pattern: string) {
  return [...pattern.matchAll(/:(\w+)/g)].map((match) => match[1])
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  400: 'Bad request',
  401: 'Unauthorized',
  402: 'Payment required',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  422: 'Unprocessable content',
  423: 'Locked',
  429: 'Too many requests',
}

/** The codes each common error status carries whatever the route. */
const COMMON_ERROR_CODES: Record<number, string[]> = {
  400: ['invalid_json'],
  401: ['missing_api_key', 'invalid_api_key', 'revoked_api_key', 'expired_api_key'],
  403: ['insufficient_scope'],
  404: ['not_found'],
  409: ['idempotency_key_reused', 'request_in_progress'],
  422: ['validation_failed'],
  423: ['tenant_suspended'],
  429: ['rate_limited'],
}

const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', description: 'Stable, for programs to branch on' },
        message: { type: 'string', description: 'A sentence for people' },
        fields: {
          type: 'object',
          description: 'For bad input: each field at fault with its messages',
          additionalProperties: { type: 'array', items: { type: 'string' } },
        },
        limit: {
          type: 'string',
          enum: ['seats', 'channels', 'conversations', 'ai_answers', 'knowledge_bytes'],
          description: 'With plan_limit_reached (402): the plan limit that refused the request',
        },
        allowed: {
          type: 'integer',
          description: 'With plan_limit_reached: what the plan allows (knowledge in bytes)',
        },
        used: {
          type: 'integer',
          description: 'With plan_limit_reached: what is used (monthly limits: this month, UTC)',
        },
        request_id: {
          type: 'string',
          description: 'On 500 internal_error only: the id the failure is logged under',
        },
      },
    },
  },
}

const RATE_LIMIT_HEADERS = {
  'RateLimit-Limit': { $ref: '#/components/headers/RateLimit-Limit' },
  'RateLimit-Remaining': { $ref: '#/components/headers/RateLimit-Remaining' },
  'RateLimit-Reset': { $ref: '#/components/headers/RateLimit-Reset' },
}

const HEADERS: JsonSchema = {
  'RateLimit-Limit': {
    description: 'Requests this key may make per window',
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in the current window',
    schema: { type: 'integer' },
  },
  'RateLimit-Reset': {
    description: 'Seconds until the window resets',
    schema: { type: 'integer' },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer' },
  },
}

function schemaRef(schema: JsonSchema | string): JsonSchema {
  return typeof schema === 'string' ? { $ref: `#/components/schemas/${schema}` } : schema
}

export function pageSchema(item: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['data', 'next_cursor'],
    additionalProperties: false,
    properties: {
      data: { type: 'array', items: item },
      next_cursor: {
        type: ['string', 'null'],
        description: 'Pass as `cursor` for the next page; null on the last page',
      },
    },
  }
}

function parameter(name: string, where: 'path' | 'query' | 'header', doc: ApiParameterDoc) {
  const schema: JsonSchema = { type: doc.type }
  if (doc.format) schema.format = doc.format
  if (doc.enum) schema.enum = [...doc.enum]
  return {
    name,
    in: where,
    required: where === 'path' ? true : (doc.required ?? false),
    description: doc.description,
    schema,
  }
}

function successResponse(status: number, doc: ApiResponseDoc) {
  const headers: Record<string, unknown> = { ...RATE_LIMIT_HEADERS }
  for (const [name, description] of Object.entries(doc.headers ?? {})) {
    headers[name] = { description, schema: { type: 'string' } }
  }
  const response: Record<string, unknown> = { description: doc.description, headers }
  if (doc.schema !== undefined && status !== 204) {
    const schema = schemaRef(doc.schema)
    response.content = {
      [doc.mediaType ?? 'application/json']: { schema: doc.page ? pageSchema(schema) : schema },
    }
  }
  return response
}

/**
 * Which error statuses (with their codes) an operation can answer. Every
 * operation can answer 422 validation_failed (text the database cannot
 * store, a NUL or an unpaired surrogate, is refused in any query parameter:
 * app/middleware/text_input_middleware.ts), and every one that takes a body
 * 400 invalid_json, whatever it documents as its body.
 */
export function errorCodesOf(doc: ApiOperationDoc, hasPathParams: boolean, method = 'GET') {
  const statuses = new Map<number, Set<string>>()
  const add = (status: number, codes: string[]) => {
    const set = statuses.get(status) ?? new Set<string>()
    for (const code of codes) set.add(code)
    statuses.set(status, set)
  }
  add(401, COMMON_ERROR_CODES[401])
  if (doc.scope) add(403, COMMON_ERROR_CODES[403])
  if (hasPathParams) add(404, COMMON_ERROR_CODES[404])
  if (doc.body || doc.multipart || method !== 'GET') add(400, COMMON_ERROR_CODES[400])
  add(422, COMMON_ERROR_CODES[422])
  if (doc.body) add(422, ['unknown_field'])
  if (doc.idempotent) {
    add(400, ['invalid_idempotency_key'])
    add(409, COMMON_ERROR_CODES[409])
  }
  add(423, COMMON_ERROR_CODES[423])
  add(429, COMMON_ERROR_CODES[429])
  for (const error of doc.errors ?? []) add(error.status, [error.code])
  return new Map([...statuses].sort(([a], [b]) => a - b))
}

function errorResponse(status: number, codes: Set<string>) {
  const headers: Record<string, unknown> =
    status === 429
      ? { ...RATE_LIMIT_HEADERS, 'Retry-After': { $ref: '#/components/headers/Retry-After' } }
      : status === 401
        ? {
            'WWW-Authenticate': {
              description: 'Bearer',
              schema: { type: 'string' },
            },
          }
        : {}
  const list = [...codes]
  return {
    'description': `${STATUS_TEXT[status] ?? 'Error'}: ${list.map((c) => `\`${c}\``).join(', ')}`,
    'headers': headers,
    'x-error-codes': list,
    'content': { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  }
}

/** The JSON Schema of an operation's body, from its apiBody() validator. */
export function bodySchemaOf(doc: ApiOperationDoc): JsonSchema | null {
  if (!doc.body) return null
  const schema = vineToJsonSchema(doc.body.validator)
  const properties = schema.properties as Record<string, JsonSchema> | undefined
  for (const [name, description] of Object.entries(doc.bodyFields ?? {})) {
    if (properties?.[name]) properties[name] = { ...properties[name], description }
  }
  return schema
}

function operationOf(route: ApiRoute, doc: ApiOperationDoc) {
  const pathParams = pathParamsOf(route.pattern)
  const parameters: unknown[] = pathParams.map((name) =>
    parameter(name, 'path', doc.params?.[name] ?? { type: 'string', description: name })
  )
  for (const [name, query] of Object.entries(doc.query ?? {})) {
    parameters.push(parameter(name, 'query', query))
  }
  for (const [name, header] of Object.entries(doc.headers ?? {})) {
    parameters.push(parameter(name, 'header', header))
  }
  if (Object.values(doc.responses).some((response) => response.page)) {
    parameters.push({ $ref: '#/components/parameters/limit' })
    parameters.push({ $ref: '#/components/parameters/cursor' })
  }
  if (doc.idempotent) parameters.push({ $ref: '#/components/parameters/Idempotency-Key' })

  const responses: Record<string, unknown> = {}
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = successResponse(Number(status), response)
  }
  for (const [status, codes] of errorCodesOf(doc, pathParams.length > 0, route.method)) {
    responses[String(status)] = errorResponse(status, codes)
  }

  const operation: Record<string, unknown> = {
    operationId: (route.name ?? '').replace(/^api\.v1\./, ''),
    summary: doc.summary,
    tags: [doc.tag],
    security: [{ bearerAuth: doc.scope ? [doc.scope] : [] }],
  }
  if (doc.description) operation.description = doc.description
  if (doc.scope) operation['x-scope'] = doc.scope
  if (parameters.length) operation.parameters = parameters
  const body = bodySchemaOf(doc)
  if (body) {
    operation.requestBody = { required: true, content: { 'application/json': { schema: body } } }
  } else if (doc.multipart) {
    const properties: Record<string, JsonSchema> = {}
    const required: string[] = []
    for (const [name, field] of Object.entries(doc.multipart)) {
      properties[name] = field.binary
        ? {
            type: 'string',
            contentMediaType: 'application/octet-stream',
            description: field.description,
          }
        : { type: 'string', description: field.description }
      if (field.required) required.push(name)
    }
    operation.requestBody = {
      required: true,
      content: {
        'multipart/form-data': {
          schema: { type: 'object', properties, ...(required.length ? { required } : {}) },
        },
      },
    }
  }
  operation.responses = responses
  return operation
}

function webhooksOf(events: ReadonlyMap<string, WebhookEventDoc>) {
  const webhooks: Record<string, unknown> = {}
  for (const [type, event] of [...events].sort(([a], [b]) => a.localeCompare(b))) {
    const envelope: JsonSchema = {
      type: 'object',
      required: ['id', 'type', 'created_at', 'tenant', 'data'],
      properties: {
        id: { type: 'string', description: 'The event id: de-duplicate on it' },
        type: { const: type },
        created_at: { type: 'string', format: 'date-time' },
        tenant: {
          type: 'object',
          required: ['id', 'slug'],
          properties: { id: { type: 'string', format: 'uuid' }, slug: { type: 'string' } },
        },
        data: event.data,
      },
    }
    const media: Record<string, unknown> = { schema: envelope }
    if (event.example !== undefined) {
      const { id, created_at: createdAt, tenant } = SAMPLE_ENVELOPE
      media.example = { id, type, created_at: createdAt, tenant, data: event.example }
    }
    webhooks[type] = {
      post: {
        operationId: webhookOperationId(type),
        summary: event.summary,
        ...(event.description ? { description: event.description } : {}),
        parameters: [
          {
            name: SIGNATURE_HEADER,
            in: 'header',
            required: true,
            description:
              't=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the subscription secret>',
            schema: { type: 'string' },
          },
          {
            name: EVENT_ID_HEADER,
            in: 'header',
            required: true,
            description: 'The event id (as in the body): a redelivery repeats it',
            schema: { type: 'string' },
          },
          {
            name: EVENT_TYPE_HEADER,
            in: 'header',
            required: true,
            description: 'The event type',
            schema: { const: type },
          },
        ],
        requestBody: { required: true, content: { 'application/json': media } },
        responses: { '2XX': { description: 'Received; any other answer is retried' } },
      },
    }
  }
  return webhooks
}

/** The OpenAPI 3.1 document of the routes that are both declared and documented. */
export function buildOpenApiDocument(sources: DocumentSources) {
  const paths: Record<string, Record<string, unknown>> = {}
  const tags: string[] = []
  const routes = [...sources.routes].sort((a, b) => a.pattern.localeCompare(b.pattern))
  for (const route of routes) {
    if (!route.name || route.name === DOCUMENT_ROUTE_NAME) continue
    const doc = sources.operations.get(route.name)
    if (!doc) continue
    if (!tags.includes(doc.tag)) tags.push(doc.tag)
    const path = openApiPath(route.pattern)
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = operationOf(route, doc)
  }

  const schemas: Record<string, JsonSchema> = { Error: ERROR_SCHEMA }
  for (const [name, schema] of sources.schemas) {
    if (name in schemas) throw new Error(`API schema ${name} is reserved by the generator`)
    schemas[name] = schema
  }

  const document: Record<string, unknown> = {
    openapi: '3.1.0',
    info: {
      title: 'FloMastr REST API',
      version: sources.version,
      // As package.json says (UNLICENSED): not licensed to others. SPDX has no
      // identifier for that; LicenseRef- is its form for a license of one's own.
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      description:
        'Snake_case JSON, ISO-8601 UTC times. Errors are {"error":{"code","message","fields"?}}; ' +
        'lists are pages {"data":[...],"next_cursor"}: pass next_cursor as `cursor` for the next. ' +
        'POSTs that create or send accept an Idempotency-Key header: a repeat within 24 hours ' +
        'returns the first response.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: API_PREFIX }],
    security: [{ bearerAuth: [] }],
    tags: tags.map((name) => {
      const description = sources.tagDescriptions?.get(name)
      return description ? { name, description } : { name }
    }),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key made in the workspace (Settings, API keys) or with `node ace apikeys:create`. ' +
            'Its scopes decide which operations it may call.',
        },
      },
      schemas,
      headers: HEADERS,
      parameters: {
        'limit': {
          name: 'limit',
          in: 'query',
          required: false,
          description: `Page size (default ${DEFAULT_PAGE_SIZE})`,
          schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
        },
        'cursor': {
          name: 'cursor',
          in: 'query',
          required: false,
          description: 'The next_cursor of the previous page',
          schema: { type: 'string' },
        },
        'Idempotency-Key': {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'A unique key (a UUID) per request: a repeat within 24 hours returns the first ' +
            'response and does nothing again; the same key with another body answers 409.',
          schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
        },
      },
    },
  }
  if (sources.webhookEvents?.size) document.webhooks = webhooksOf(sources.webhookEvents)
  return document
}
