import type { HttpContext } from '@adonisjs/core/http'
import vine, { errors as vineErrors } from '@vinejs/vine'
import type { SchemaTypes } from '@vinejs/vine/types'
import { ApiError, fieldsOf } from '#app/http/api/errors'

/**
 * A request body's validator for the API: the VineJS object schema (kept, so
 * the OpenAPI document can be generated from it later) and its field names,
 * because VineJS quietly drops unknown fields and the API refuses them.
 */
export function apiBody<Properties extends Record<string, SchemaTypes>>(properties: Properties) {
  const schema = vine.object(properties)
  return { schema, fields: Object.keys(properties), validator: vine.compile(schema) }
}

type ApiBody<Properties extends Record<string, SchemaTypes>> = ReturnType<
  typeof apiBody<Properties>
>

/**
 * Reads and validates a JSON body: not JSON (or not an object) is 400
 * `invalid_json`, a field the endpoint does not know is 422 `unknown_field`
 * (a typo must not be silently ignored), and a failed rule is 422
 * `validation_failed`, each naming the fields.
 */
export async function validateApiBody<Properties extends Record<string, SchemaTypes>>(
  ctx: HttpContext,
  body: ApiBody<Properties>
) {
  if (!ctx.request.is(['json'])) {
    throw new ApiError(
      400,
      'invalid_json',
      'Send a JSON object with Content-Type: application/json'
    )
  }
  const data: unknown = ctx.request.body()
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ApiError(400, 'invalid_json', 'The body must be a JSON object')
  }
  const unknown = Object.keys(data).filter((name) => !body.fields.includes(name))
  if (unknown.length) {
    throw new ApiError(
      422,
      'unknown_field',
      `Unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      Object.fromEntries(unknown.map((name) => [name, ['This field is not accepted here']]))
    )
  }
  return body.validator.validate(data).catch(asValidationFailed)
}

/**
 * A query string's validator for the API (filters beside `limit` and
 * `cursor`, which pageRequestFrom reads). Unknown parameters are ignored, as
 * clients add cache-busters and tracking parameters to GETs.
 */
export function apiQuery<Properties extends Record<string, SchemaTypes>>(properties: Properties) {
  const schema = vine.object(properties)
  return { schema, validator: vine.compile(schema) }
}

/**
 * Validates the query string: an empty parameter (`?status=`) counts as not
 * given, and a failed rule is 422 `validation_failed` naming the parameter.
 */
export async function validateApiQuery<Properties extends Record<string, SchemaTypes>>(
  ctx: HttpContext,
  query: ReturnType<typeof apiQuery<Properties>>
) {
  const given = Object.fromEntries(
    Object.entries(ctx.request.qs()).filter(([, value]) => value !== '' && value !== undefined)
  )
  return query.validator.validate(given).catch(asValidationFailed)
}

/** VineJS's refusal as the API's 422 `validation_failed`, naming each field; anything else rethrown. */
function asValidationFailed(error: unknown): never {
  if (error instanceof vineErrors.E_VALIDATION_ERROR) {
    throw new ApiError(422, 'validation_failed', 'The request is invalid', fieldsOf(error.messages))
  }
  throw error
}
