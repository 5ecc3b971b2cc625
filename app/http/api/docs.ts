/*
| What the OpenAPI document says of each /api/v1 route, declared beside the
| route by the module that owns it. Request bodies are the very validators
| the controllers use (apiBody results), so the document cannot drift from
| what the API accepts; the generator (openapi/) turns them into JSON Schema.
*/
import type { VineValidator } from '@vinejs/vine'
import type { ApiScope } from '#app/http/api/scopes'

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses) written by hand for a response. */
export type JsonSchema = Record<string, unknown>

/** What the generator reads of an apiBody() result: its compiled validator and field names. */
export interface ApiBodyDoc {
  schema?: unknown
  fields: readonly string[]
  validator: VineValidator<any, any>
}

export interface ApiParameterDoc {
  type: 'string' | 'integer' | 'boolean'
  description: string
  format?: string
  enum?: readonly string[]
  required?: boolean
}

export interface ApiResponseDoc {
  description: string
  /** Response headers worth telling clients about (e.g. Location), name to description. */
  headers?: Record<string, string>
  /** A JSON Schema, or the name of a shared schema (components.schemas). */
  schema?: JsonSchema | string
  /** The body is a page: {data: [schema], next_cursor}. */
  page?: boolean
  /** The body's media type when it is not JSON (e.g. text/csv). */
  mediaType?: string
}

export interface ApiOperationDoc {
  summary: string
  description?: string
  /** The group in the reference (e.g. 'Contacts'). */
  tag: string
  /** The scope the route's apiScope() middleware asks for; none for /me. */
  scope?: ApiScope
  /** A JSON body validated by this apiBody() (any apiBody result fits). */
  body?: ApiBodyDoc
  /** Optional words about the body's fields (name to description), shown in the reference. */
  bodyFields?: Record<string, string>
  /** A multipart body instead: field name to description ('file' fields are binary). */
  multipart?: Record<string, { description: string; binary?: boolean; required?: boolean }>
  /** Path parameters by name (every :name in the path must be here). */
  params?: Record<string, ApiParameterDoc>
  query?: Record<string, ApiParameterDoc>
  /** Request headers the route reads, by name. */
  headers?: Record<string, ApiParameterDoc>
  /** The route honours an Idempotency-Key header. */
  idempotent?: boolean
  /** Successful responses by status code; error responses are added by the generator. */
  responses: Record<number, ApiResponseDoc>
  /** Error codes this route can answer beyond the common ones (401, 403, 423, 429). */
  errors?: Array<{ status: number; code: string; description?: string }>
}

/** An outbound webhook event, for the document's `webhooks` section. */
export interface WebhookEventDoc {
  summary: string
  description?: string
  /** The JSON Schema of the envelope's `data`. */
  data: JsonSchema
  /** A sample `data`, as GET /api/v1/hooks/samples/:event returns it. */
  example?: unknown
}

/**
 * A custom VineJS rule made with vine.createRule carries no description of
 * itself; this says what it means in JSON Schema (e.g. e164 adds
 * {format: 'e164', pattern}) so the generated document shows it.
 */
export type RuleDescriber = (options: any) => JsonSchema

const operations = new Map<string, ApiOperationDoc>()
const tagDescriptions = new Map<string, string>()
const schemas = new Map<string, JsonSchema>()
const webhookEvents = new Map<string, WebhookEventDoc>()
const ruleDescribers = new Map<unknown, RuleDescriber>()

/** Documents the route named `api.v1.<name>` (the name given with .as()). */
export function documentApi(routeName: string, doc: ApiOperationDoc) {
  const key = routeName.startsWith('api.v1.') ? routeName : `api.v1.${routeName}`
  if (operations.has(key)) throw new Error(`API route ${key} is documented twice`)
  operations.set(key, doc)
}

/** What a group of operations (an ApiOperationDoc's `tag`) is for, shown in the reference. */
export function describeApiTag(tag: string, description: string) {
  if (tagDescriptions.has(tag)) throw new Error(`API tag ${tag} is described twice`)
  tagDescriptions.set(tag, description)
}

export function describedApiTags(): ReadonlyMap<string, string> {
  return tagDescriptions
}

/** A shared response schema, referenced by name from ApiResponseDoc.schema. */
export function documentSchema(name: string, schema: JsonSchema) {
  if (schemas.has(name)) throw new Error(`API schema ${name} is declared twice`)
  schemas.set(name, schema)
}

export function documentedOperations(): ReadonlyMap<string, ApiOperationDoc> {
  return operations
}

export function documentedSchemas(): ReadonlyMap<string, JsonSchema> {
  return schemas
}

/** Documents an outbound webhook event type (e.g. 'contact.created'). */
export function documentWebhookEvent(type: string, doc: WebhookEventDoc) {
  if (webhookEvents.has(type)) throw new Error(`Webhook event ${type} is documented twice`)
  webhookEvents.set(type, doc)
}

export function documentedWebhookEvents(): ReadonlyMap<string, WebhookEventDoc> {
  return webhookEvents
}

/**
 * Says what a custom rule (the function vine.createRule returned) means in
 * JSON Schema. Rules nobody describes add nothing to the document.
 */
export function describeRule(
  rule: (...args: any[]) => { rule: { validator: unknown } },
  describe: RuleDescriber
) {
  ruleDescribers.set(rule(undefined).rule.validator, describe)
}

/** The describer of a rule, looked up by its validator function. */
export function ruleDescriberOf(validator: unknown): RuleDescriber | undefined {
  return ruleDescribers.get(validator)
}
