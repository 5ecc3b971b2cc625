import type { HttpContext } from '@adonisjs/core/http'
import { ApiError, sendJson, validateApiBody } from '#app/http/api/index'
import { DatasetError } from '../../services/dataset_service.js'
import {
  callConnector,
  createConnector,
  deleteConnector,
  findConnector,
  listConnectors,
  updateConnector,
  type Connector,
  type ConnectorInput,
} from '../../services/connector_service.js'
import {
  createConnectorBody,
  testConnectorBody,
  updateConnectorBody,
} from '../../validators/connector_api_validator.js'

/**
 * /api/v1/connectors: the workspace's live API lookups managed by a
 * program, and their test call. The secret is write-only: answers say
 * whether one is stored, never what it is, and a request shown back has it
 * masked. Another tenant's connector is not found (the queries run in this
 * tenant's schema).
 */
export default class ConnectorsApiController {
  async index(ctx: HttpContext) {
    const connectors = await listConnectors(ctx.tenant)
    return sendJson(ctx, 200, { data: connectors.map(presentConnector), next_cursor: null })
  }

  async store(ctx: HttpContext) {
    const data = await validateApiBody(ctx, createConnectorBody)
    const connector = await apiCall(() => createConnector(ctx.tenant, data as ConnectorInput, null))
    ctx.response.header('Location', `/api/v1/connectors/${connector.id}`)
    return sendJson(ctx, 201, presentConnector(connector))
  }

  async show(ctx: HttpContext) {
    return sendJson(ctx, 200, presentConnector(await connectorOf(ctx)))
  }

  async update(ctx: HttpContext) {
    const connector = await connectorOf(ctx)
    const data = await validateApiBody(ctx, updateConnectorBody)
    // Fields left out keep their stored value (a blank secret keeps the stored one).
    const input: ConnectorInput = { ...inputOf(connector), ...data }
    const updated = await apiCall(() => updateConnector(ctx.tenant, connector.id, input))
    return sendJson(ctx, 200, presentConnector(updated))
  }

  async destroy(ctx: HttpContext) {
    const connector = await connectorOf(ctx)
    await apiCall(() => deleteConnector(ctx.tenant, connector.id))
    return ctx.response.status(204).send('')
  }

  /** The call made with these inputs, uncached: the request (secret masked) and the result. */
  async test(ctx: HttpContext) {
    const connector = await connectorOf(ctx)
    const data = await validateApiBody(ctx, testConnectorBody)
    const call = await callConnector(ctx.tenant, connector, data.inputs ?? {}, {
      useCache: false,
    })
    return sendJson(ctx, 200, {
      ok: call.ok,
      error: call.error,
      request: call.request,
      status: call.status,
      fields: call.fields,
      reply: call.reply,
      duration_ms: call.durationMs,
    })
  }
}

function presentConnector(connector: Connector) {
  return {
    id: connector.id,
    name: connector.name,
    description: connector.description,
    method: connector.method,
    url_template: connector.urlTemplate,
    headers: connector.headers,
    body_template: connector.bodyTemplate,
    auth_mode: connector.authMode,
    auth_name: connector.authName,
    auth_username: connector.authUsername,
    has_secret: connector.hasSecret,
    parameters: connector.parameters,
    mapping: connector.mapping,
    reply_template: connector.replyTemplate,
    triggers: connector.triggers,
    timeout_ms: connector.timeoutMs,
    cache_seconds: connector.cacheSeconds,
    answers_customers: connector.answersCustomers,
    created_at: new Date(connector.createdAt).toISOString(),
    updated_at: new Date(connector.updatedAt).toISOString(),
  }
}

/** A stored connector as input again, so a change can name only what it changes. */
function inputOf(connector: Connector): ConnectorInput {
  return {
    name: connector.name,
    description: connector.description,
    method: connector.method,
    url_template: connector.urlTemplate,
    headers: connector.headers,
    body_template: connector.bodyTemplate,
    auth_mode: connector.authMode,
    auth_name: connector.authName,
    auth_username: connector.authUsername,
    parameters: connector.parameters,
    mapping: connector.mapping,
    reply_template: connector.replyTemplate,
    triggers: connector.triggers,
    timeout_ms: connector.timeoutMs,
    cache_seconds: connector.cacheSeconds,
    answers_customers: connector.answersCustomers,
  }
}

async function connectorOf(ctx: HttpContext) {
  const connector = await findConnector(ctx.tenant, String(ctx.params.id))
  if (!connector) throw new ApiError(404, 'not_found', 'No such connector')
  return connector
}

async function apiCall<T>(work: () => Promise<T>) {
  try {
    return await work()
  } catch (error) {
    if (error instanceof DatasetError) {
      const status = error.status ?? 422
      throw new ApiError(
        status,
        status === 404 ? 'not_found' : (error.code ?? 'invalid'),
        error.message,
        status === 404 || !error.field ? undefined : { [error.field]: [error.message] }
      )
    }
    throw error
  }
}
