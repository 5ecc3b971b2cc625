import vine from '@vinejs/vine'
import { apiBody } from '#app/http/api/index'
import {
  AUTH_MODES,
  CONNECTOR_LIMITS,
  CONNECTOR_METHODS,
  PARAMETER_TYPES,
} from '../services/connector_service.js'

/*
| Request bodies of /api/v1/connectors. The shapes are checked here; what
| the fields mean together (a {{variable}} that is no parameter, a secret
| the auth mode needs, a JSONPath) is checked by the connector service, as
| for the form, and answered 422 naming the field.
*/

function connectorFields() {
  return {
    name: vine.string().trim().minLength(1).maxLength(120),
    description: vine.string().trim().maxLength(1000).optional(),
    method: vine.enum(CONNECTOR_METHODS).optional(),
    url_template: vine.string().trim().minLength(1).maxLength(2000),
    headers: vine
      .array(vine.object({ name: vine.string().trim(), value: vine.string() }))
      .maxLength(CONNECTOR_LIMITS.headers)
      .optional(),
    body_template: vine.string().maxLength(10_000).nullable().optional(),
    auth_mode: vine.enum(AUTH_MODES).optional(),
    auth_name: vine.string().trim().maxLength(60).nullable().optional(),
    auth_username: vine.string().trim().maxLength(200).nullable().optional(),
    auth_secret: vine.string().maxLength(4000).optional(),
    parameters: vine
      .array(
        vine.object({
          name: vine.string().trim(),
          type: vine.enum(PARAMETER_TYPES).optional(),
          pattern: vine.string().maxLength(200).nullable().optional(),
          required: vine.boolean().optional(),
          example: vine.string().maxLength(200).optional(),
        })
      )
      .maxLength(CONNECTOR_LIMITS.parameters)
      .optional(),
    mapping: vine
      .array(vine.object({ name: vine.string().trim(), path: vine.string().trim() }))
      .minLength(1)
      .maxLength(CONNECTOR_LIMITS.mapping),
    reply_template: vine.string().trim().minLength(1).maxLength(1000),
    triggers: vine
      .array(vine.string().trim().maxLength(100))
      .maxLength(CONNECTOR_LIMITS.triggers)
      .optional(),
    timeout_ms: vine
      .number()
      .withoutDecimals()
      .range([CONNECTOR_LIMITS.timeoutMs.min, CONNECTOR_LIMITS.timeoutMs.max])
      .optional(),
    cache_seconds: vine
      .number()
      .withoutDecimals()
      .range([0, CONNECTOR_LIMITS.cacheSeconds.max])
      .optional(),
    answers_customers: vine.boolean().optional(),
  }
}

export const createConnectorBody = apiBody(connectorFields())

/** A change: any of the fields; those left out keep their value, the secret too. */
const {
  name,
  url_template: urlTemplate,
  mapping,
  reply_template: replyTemplate,
  ...optional
} = connectorFields()
export const updateConnectorBody = apiBody({
  name: name.optional(),
  ...optional,
  url_template: urlTemplate.optional(),
  mapping: mapping.optional(),
  reply_template: replyTemplate.optional(),
  clear_secret: vine.boolean().optional(),
})

export const testConnectorBody = apiBody({
  inputs: vine.record(vine.any()).optional(),
})
