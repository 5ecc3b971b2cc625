import { createHash } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import app from '@adonisjs/core/services/app'
import encryption from '@adonisjs/core/services/encryption'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { assertPublicTarget, BlockedAddressError, guardedLookup } from '#app/net/outbound_guard'
import type { TenantContext } from '#modules/tenancy/index'
import { DatasetError } from './dataset_service.js'
import { JsonPathError, parseJsonPath, readJsonPath } from './json_path.js'

/*
| Live API connectors. A tenant describes an HTTP call: the method, a URL
| (and body) template with {{parameters}}, headers, the auth (none, bearer,
| basic, an API key in a header or the query), typed parameters with the
| pattern that finds them in a message, a mapping from JSON paths in the
| answer to named fields, and a reply template over those fields. A call
| goes through the outbound guard (no private, loopback or link-local
| addresses, checked again at connect time), is cut off at the connector's
| timeout, reads 1 MB at most, and is cached per connector and request for
| the connector's TTL. The auth secret is encrypted with APP_KEY; nothing
| renders it back, and requests shown to people mask it.
*/

export const AUTH_MODES = ['none', 'bearer', 'basic', 'header', 'query'] as const
export const PARAMETER_TYPES = ['text', 'integer', 'number'] as const
export const CONNECTOR_METHODS = ['GET', 'POST'] as const
export type AuthMode = (typeof AUTH_MODES)[number]
export type ParameterType = (typeof PARAMETER_TYPES)[number]

export const CONNECTOR_LIMITS = {
  parameters: 5,
  mapping: 10,
  headers: 5,
  triggers: 20,
  timeoutMs: { min: 500, max: 30_000 },
  cacheSeconds: { max: 86_400 },
  responseBytes: 1024 * 1024,
}

/** What a masked secret looks like wherever a request is shown. */
export const SECRET_MASK = '••••••••'

export interface ConnectorParameter {
  name: string
  type: ParameterType
  /** A regular expression that finds the value in a message (its first group, else the match). */
  pattern: string | null
  required: boolean
  example: string
}

export interface FieldMapping {
  name: string
  path: string
}

export interface Connector {
  id: string
  name: string
  description: string
  method: (typeof CONNECTOR_METHODS)[number]
  urlTemplate: string
  headers: { name: string; value: string }[]
  bodyTemplate: string | null
  authMode: AuthMode
  authName: string | null
  authUsername: string | null
  /** Whether a secret is stored; the secret itself never leaves this file. */
  hasSecret: boolean
  parameters: ConnectorParameter[]
  mapping: FieldMapping[]
  replyTemplate: string
  triggers: string[]
  timeoutMs: number
  cacheSeconds: number
  answersCustomers: boolean
  createdAt: Date
  updatedAt: Date
}

interface StoredConnector extends Connector {
  secret: string | null
}

export type ConnectorErrorCode =
  | 'missing_parameter'
  | 'invalid_parameter'
  | 'blocked_address'
  | 'timeout'
  | 'fetch_failed'
  | 'http_error'
  | 'bad_json'
  | 'too_large'

export interface ConnectorCall {
  ok: boolean
  error: { code: ConnectorErrorCode; message: string } | null
  /** The request as sent, the secret masked. */
  request: { method: string; url: string; headers: Record<string, string>; body: string | null }
  status: number | null
  /** The mapped fields (null where a path found nothing). */
  fields: Record<string, unknown>
  /** The reply template filled from the fields and inputs. */
  reply: string | null
  cached: boolean
  durationMs: number
}

function raw(trx: TransactionClientContract, sql: string, bindings: unknown[] = []) {
  return trx.rawQuery(sql, bindings as any[])
}

function connectorFrom(row: any): StoredConnector {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    method: row.method,
    urlTemplate: row.url_template,
    headers: row.headers ?? [],
    bodyTemplate: row.body_template,
    authMode: row.auth_mode,
    authName: row.auth_name,
    authUsername: row.auth_username,
    hasSecret: Boolean(row.auth_secret),
    secret: row.auth_secret ? (encryption.decrypt<string>(row.auth_secret) ?? null) : null,
    parameters: row.parameters ?? [],
    mapping: row.mapping ?? [],
    replyTemplate: row.reply_template,
    triggers: row.triggers ?? [],
    timeoutMs: row.timeout_ms,
    cacheSeconds: row.cache_seconds,
    answersCustomers: row.answers_customers,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/** The connector as the rest of the app sees it: no secret. */
function publicView({ secret: _secret, ...connector }: StoredConnector): Connector {
  return connector
}

export function connectorNotFound() {
  return new DatasetError('not_found', 'No such connector.', null, 404)
}

export async function listConnectors(
  tenant: TenantContext,
  options: { answersCustomers?: boolean } = {}
): Promise<Connector[]> {
  const result = await tenant.transaction((trx) =>
    raw(
      trx,
      `select * from api_connectors ${options.answersCustomers ? 'where answers_customers' : ''}
        order by created_at desc, id desc limit 200`
    )
  )
  return result.rows.map((row: any): Connector => publicView(connectorFrom(row)))
}

async function findStored(tenant: TenantContext, id: string) {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null
  const result = await tenant.transaction((trx) =>
    raw(trx, 'select * from api_connectors where id = ?', [id])
  )
  return result.rows[0] ? connectorFrom(result.rows[0]) : null
}

export async function findConnector(tenant: TenantContext, id: string) {
  const stored = await findStored(tenant, id)
  return stored ? publicView(stored) : null
}

/* ------------------------------------------------------------------ input */

export interface ConnectorInput {
  name?: unknown
  description?: unknown
  method?: unknown
  url_template?: unknown
  headers?: unknown
  body_template?: unknown
  auth_mode?: unknown
  auth_name?: unknown
  auth_username?: unknown
  /** Blank keeps the stored secret; `clear_secret` removes it. */
  auth_secret?: unknown
  clear_secret?: unknown
  parameters?: unknown
  mapping?: unknown
  reply_template?: unknown
  triggers?: unknown
  timeout_ms?: unknown
  cache_seconds?: unknown
  answers_customers?: unknown
}

const NAME = /^[A-Za-z_][\w]{0,39}$/
const TEMPLATE_VAR = /\{\{\s*([\w.]+)\s*\}\}/g

function text(value: unknown) {
  return String(value ?? '').trim()
}

function list(value: unknown): any[] {
  if (Array.isArray(value)) return value
  if (value && typeof value === 'object') return Object.values(value)
  return []
}

function truthy(value: unknown) {
  return value === true || value === 'true' || value === 'on' || value === '1' || value === 1
}

function invalid(field: string, message: string): never {
  throw new DatasetError('invalid', message, field)
}

/** Checks a form's or a program's connector and gives the columns to store. */
function checkInput(input: ConnectorInput, stored: StoredConnector | null) {
  const name = text(input.name)
  if (!name) invalid('name', 'Give the connector a name.')
  if (name.length > 120) invalid('name', 'Names are 120 characters at most.')
  const method = text(input.method || 'GET').toUpperCase()
  if (!(CONNECTOR_METHODS as readonly string[]).includes(method)) {
    invalid('method', 'The method is GET or POST.')
  }

  const parameters: ConnectorParameter[] = []
  for (const entry of list(input.parameters)) {
    const pname = text(entry?.name)
    if (!pname) continue
    if (!NAME.test(pname)) {
      invalid('parameters', `"${pname}": parameter names are letters, digits and _ (40 at most).`)
    }
    const type = text(entry?.type || 'text') as ParameterType
    if (!PARAMETER_TYPES.includes(type)) invalid('parameters', `"${pname}": choose a type.`)
    const pattern = text(entry?.pattern) || null
    if (pattern) {
      if (pattern.length > 200) invalid('parameters', `"${pname}": the pattern is too long.`)
      try {
        new RegExp(pattern, 'iu')
      } catch {
        invalid('parameters', `"${pname}": the pattern is not a valid regular expression.`)
      }
    }
    if (parameters.some((p) => p.name === pname)) {
      invalid('parameters', `"${pname}" is given twice.`)
    }
    parameters.push({
      name: pname,
      type,
      pattern,
      required: entry?.required === undefined ? true : truthy(entry.required),
      example: text(entry?.example).slice(0, 200),
    })
  }
  if (parameters.length > CONNECTOR_LIMITS.parameters) {
    invalid('parameters', `${CONNECTOR_LIMITS.parameters} parameters at most.`)
  }
  const known = new Set(parameters.map((p) => p.name))

  const urlTemplate = text(input.url_template)
  if (!urlTemplate) invalid('url_template', 'Give the address to call, starting with https://.')
  if (urlTemplate.length > 2000) invalid('url_template', 'The address is too long.')
  let probe: URL
  try {
    probe = new URL(urlTemplate.replace(TEMPLATE_VAR, '1'))
  } catch {
    invalid('url_template', 'Give the full address, starting with https://.')
  }
  if (probe.protocol !== 'https:' && probe.protocol !== 'http:') {
    invalid('url_template', 'Only http and https addresses.')
  }
  if (/\{\{[^}]*\}\}/.test(probe.host) || /\{\{/.test(urlTemplate.split('/')[2] ?? '')) {
    invalid('url_template', 'Parameters go in the path or the query, not the host.')
  }
  const bodyTemplate = method === 'POST' ? text(input.body_template) || null : null
  if (bodyTemplate && bodyTemplate.length > 10_000)
    invalid('body_template', 'The body is too long.')

  const headers: { name: string; value: string }[] = []
  for (const entry of list(input.headers)) {
    const hname = text(entry?.name)
    if (!hname) continue
    if (!/^[A-Za-z0-9-]{1,60}$/.test(hname)) invalid('headers', `"${hname}" is not a header name.`)
    const value = text(entry?.value)
    if (/[\r\n]/.test(value) || value.length > 1000) invalid('headers', `"${hname}": bad value.`)
    headers.push({ name: hname, value })
  }
  if (headers.length > CONNECTOR_LIMITS.headers) {
    invalid('headers', `${CONNECTOR_LIMITS.headers} headers at most.`)
  }

  for (const [field, template] of [
    ['url_template', urlTemplate],
    ['body_template', bodyTemplate ?? ''],
    ...headers.map((h) => ['headers', h.value]),
  ] as const) {
    for (const match of template.matchAll(TEMPLATE_VAR)) {
      if (!known.has(match[1])) invalid(field, `{{${match[1]}}} is not one of the parameters.`)
    }
  }

  const authMode = text(input.auth_mode || 'none') as AuthMode
  if (!AUTH_MODES.includes(authMode)) invalid('auth_mode', 'Choose how the API is signed in to.')
  const authName = text(input.auth_name) || null
  const authUsername = text(input.auth_username) || null
  if ((authMode === 'header' || authMode === 'query') && !authName) {
    invalid('auth_name', 'Name the header or query parameter that carries the key.')
  }
  if (authMode === 'header' && authName && !/^[A-Za-z0-9-]{1,60}$/.test(authName)) {
    invalid('auth_name', 'That is not a header name.')
  }
  if (authMode === 'basic' && !authUsername) invalid('auth_username', 'Give the user name.')
  const secretInput = text(input.auth_secret)
  if (secretInput.length > 4000) invalid('auth_secret', 'The secret is too long.')
  let secret: string | null | undefined // undefined: keep what is stored
  if (authMode === 'none' || truthy(input.clear_secret)) secret = null
  else if (secretInput) secret = secretInput
  else if (!stored?.hasSecret) invalid('auth_secret', 'Give the key or password.')

  const mapping: FieldMapping[] = []
  for (const entry of list(input.mapping)) {
    const fname = text(entry?.name)
    const path = text(entry?.path)
    if (!fname && !path) continue
    if (!NAME.test(fname)) {
      invalid('mapping', `"${fname}": field names are letters, digits and _ (40 at most).`)
    }
    try {
      parseJsonPath(path)
    } catch (error) {
      if (error instanceof JsonPathError) invalid('mapping', `"${fname}": ${error.message}.`)
      throw error
    }
    mapping.push({ name: fname, path })
  }
  if (!mapping.length) invalid('mapping', 'Map at least one field from the answer, e.g. $.status.')
  if (mapping.length > CONNECTOR_LIMITS.mapping) {
    invalid('mapping', `${CONNECTOR_LIMITS.mapping} fields at most.`)
  }

  const replyTemplate = text(input.reply_template)
  if (!replyTemplate)
    invalid('reply_template', 'Write the reply, e.g. Order {{order}}: {{status}}.')
  if (replyTemplate.length > 1000)
    invalid('reply_template', 'The reply is 1,000 characters at most.')
  const fields = new Set([...mapping.map((m) => m.name), ...known])
  for (const match of replyTemplate.matchAll(TEMPLATE_VAR)) {
    if (!fields.has(match[1]))
      invalid('reply_template', `{{${match[1]}}} is not a field or parameter.`)
  }

  const triggerText = Array.isArray(input.triggers)
    ? input.triggers.join(',')
    : text(input.triggers)
  const triggers = [
    ...new Set(
      triggerText
        .split(/[,\n،]/)
        .map((t) => t.trim())
        .filter(Boolean)
    ),
  ]
  if (triggers.length > CONNECTOR_LIMITS.triggers) {
    invalid('triggers', `${CONNECTOR_LIMITS.triggers} phrases at most.`)
  }

  const timeoutMs = Number(input.timeout_ms ?? 5000)
  const { min, max } = CONNECTOR_LIMITS.timeoutMs
  if (!Number.isInteger(timeoutMs) || timeoutMs < min || timeoutMs > max) {
    invalid('timeout_ms', `The timeout is ${min} to ${max} milliseconds.`)
  }
  const cacheSeconds = Number(input.cache_seconds ?? 0)
  if (
    !Number.isInteger(cacheSeconds) ||
    cacheSeconds < 0 ||
    cacheSeconds > CONNECTOR_LIMITS.cacheSeconds.max
  ) {
    invalid('cache_seconds', 'Keep answers 0 to 86,400 seconds.')
  }

  return {
    name,
    description: text(input.description).slice(0, 1000),
    method,
    url_template: urlTemplate,
    headers: JSON.stringify(headers),
    body_template: bodyTemplate,
    auth_mode: authMode,
    auth_name: authMode === 'header' || authMode === 'query' ? authName : null,
    auth_username: authMode === 'basic' ? authUsername : null,
    secret,
    parameters: JSON.stringify(parameters),
    mapping: JSON.stringify(mapping),
    reply_template: replyTemplate,
    triggers: JSON.stringify(triggers),
    timeout_ms: timeoutMs,
    cache_seconds: cacheSeconds,
    answers_customers: truthy(input.answers_customers),
  }
}

export async function createConnector(
  tenant: TenantContext,
  input: ConnectorInput,
  createdByUserId: string | null = null
) {
  const { secret, ...values } = checkInput(input, null)
  const result = await tenant.transaction((trx) =>
    trx
      .insertQuery()
      .table('api_connectors')
      .insert({
        ...values,
        auth_secret: secret ? encryption.encrypt(secret) : null,
        created_by_user_id: createdByUserId,
      })
      .returning('id')
  )
  return (await findConnector(tenant, (result[0] as any).id))!
}

export async function updateConnector(tenant: TenantContext, id: string, input: ConnectorInput) {
  const stored = await findStored(tenant, id)
  if (!stored) throw connectorNotFound()
  const { secret, ...values } = checkInput(input, stored)
  await tenant.transaction(async (trx) => {
    await trx
      .from('api_connectors')
      .where('id', id)
      .update({
        ...values,
        ...(secret === undefined
          ? {}
          : { auth_secret: secret ? encryption.encrypt(secret) : null }),
        updated_at: new Date(),
      })
    // A changed call may answer differently: nothing cached before it is reused.
    await trx.from('api_connector_cache').where('connector_id', id).delete()
  })
  return (await findConnector(tenant, id))!
}

export async function deleteConnector(tenant: TenantContext, id: string) {
  const deleted = await tenant.transaction((trx) =>
    trx.from('api_connectors').where('id', id).delete()
  )
  if (!Number(Array.isArray(deleted) ? deleted[0] : deleted)) throw connectorNotFound()
}

/* --------------------------------------------------------------- the call */

export class ConnectorCallError extends Error {
  constructor(
    readonly code: ConnectorErrorCode,
    message: string
  ) {
    super(message)
  }
}

/** The inputs checked against the parameters' types; the first wrong one throws. */
export function checkInputs(connector: Connector, inputs: Record<string, unknown>) {
  const values: Record<string, string> = {}
  for (const parameter of connector.parameters) {
    const value = text(inputs[parameter.name])
    if (!value) {
      if (parameter.required) {
        throw new ConnectorCallError('missing_parameter', `${parameter.name} is needed.`)
      }
      values[parameter.name] = ''
      continue
    }
    if (parameter.type === 'integer' && !/^-?\d+$/.test(value)) {
      throw new ConnectorCallError('invalid_parameter', `${parameter.name} is a whole number.`)
    }
    if (parameter.type === 'number' && !/^-?\d+(\.\d+)?$/.test(value)) {
      throw new ConnectorCallError('invalid_parameter', `${parameter.name} is a number.`)
    }
    if (value.length > 500) {
      throw new ConnectorCallError('invalid_parameter', `${parameter.name} is too long.`)
    }
    values[parameter.name] = value
  }
  return values
}

function fill(template: string, values: Record<string, string>, escape: (v: string) => string) {
  return template.replace(TEMPLATE_VAR, (_m, name: string) => escape(values[name] ?? ''))
}

/** The request a connector makes for these inputs: real (with the secret) and as shown (masked). */
function buildRequest(connector: StoredConnector, values: Record<string, string>) {
  const url = new URL(fill(connector.urlTemplate, values, encodeURIComponent))
  const shownUrl = new URL(url)
  const headers: Record<string, string> = {
    'accept': 'application/json',
    'user-agent': 'FloMastr-Connectors/1.0',
  }
  for (const header of connector.headers) {
    headers[header.name.toLowerCase()] = fill(header.value, values, (v) =>
      v.replace(/[\r\n]/g, ' ')
    )
  }
  const shownHeaders = { ...headers }
  const secret = connector.secret ?? ''
  switch (connector.authMode) {
    case 'bearer':
      headers.authorization = `Bearer ${secret}`
      shownHeaders.authorization = `Bearer ${SECRET_MASK}`
      break
    case 'basic':
      headers.authorization = `Basic ${Buffer.from(`${connector.authUsername}:${secret}`).toString('base64')}`
      shownHeaders.authorization = `Basic ${connector.authUsername}:${SECRET_MASK}`
      break
    case 'header':
      headers[connector.authName!.toLowerCase()] = secret
      shownHeaders[connector.authName!.toLowerCase()] = SECRET_MASK
      break
    case 'query':
      url.searchParams.set(connector.authName!, secret)
      shownUrl.searchParams.set(connector.authName!, SECRET_MASK)
      break
  }
  let body: string | null = null
  if (connector.method === 'POST') {
    // Values go into the body JSON-escaped, so `"id": "{{order}}"` stays valid JSON.
    body = fill(connector.bodyTemplate ?? '', values, (v) => JSON.stringify(v).slice(1, -1))
    const isJson = /^\s*[[{]/.test(body)
    if (!headers['content-type']) {
      headers['content-type'] = isJson ? 'application/json' : 'application/x-www-form-urlencoded'
      shownHeaders['content-type'] = headers['content-type']
    }
  }
  return {
    real: { method: connector.method, url, headers, body },
    shown: { method: connector.method, url: shownUrl.toString(), headers: shownHeaders, body },
  }
}

function allowPrivate() {
  // The one switch for every tenant-chosen address (URL sources, sheets, connectors).
  return app.config.get<boolean>('brain.allowPrivateUrlSources', false)
}

/** One guarded HTTP exchange: the status and the body, or ConnectorCallError. */
async function exchange(
  request: ReturnType<typeof buildRequest>['real'],
  timeoutMs: number
): Promise<{ status: number; body: string }> {
  try {
    await assertPublicTarget(request.url, { allowPrivate: allowPrivate() })
  } catch (error) {
    if (error instanceof BlockedAddressError) {
      throw new ConnectorCallError('blocked_address', error.message)
    }
    throw error
  }
  const client = request.url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (
      error: ConnectorCallError | null,
      result?: { status: number; body: string }
    ) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error) reject(error)
      else resolve(result!)
    }
    const outgoing = client.request(
      request.url,
      {
        method: request.method,
        headers: {
          ...request.headers,
          ...(request.body !== null ? { 'content-length': Buffer.byteLength(request.body) } : {}),
        },
        lookup: guardedLookup({ allowPrivate: allowPrivate() }),
      },
      (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > CONNECTOR_LIMITS.responseBytes) {
            finish(new ConnectorCallError('too_large', 'The answer is larger than 1 MB.'))
            response.destroy()
            return
          }
          chunks.push(chunk)
        })
        response.on('end', () =>
          finish(null, {
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          })
        )
        response.on('error', (error) =>
          finish(new ConnectorCallError('fetch_failed', error.message))
        )
      }
    )
    const timer = setTimeout(() => {
      finish(new ConnectorCallError('timeout', `No answer within ${timeoutMs} ms.`))
      outgoing.destroy()
    }, timeoutMs)
    outgoing.on('error', (error) => {
      if (error instanceof BlockedAddressError) {
        finish(new ConnectorCallError('blocked_address', error.message))
      } else {
        finish(
          new ConnectorCallError('fetch_failed', `The API could not be reached (${error.message}).`)
        )
      }
    })
    outgoing.end(request.body ?? undefined)
  })
}

/** The reply template filled from the mapped fields and the inputs. */
export function fillReply(template: string, fields: Record<string, unknown>) {
  return template
    .replace(TEMPLATE_VAR, (_m, name: string) => show(fields[name]))
    .replace(/[ \t]+/g, ' ')
    .trim()
}

function show(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (Array.isArray(value)) return value.map(show).filter(Boolean).join(', ')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function requestHash(request: ReturnType<typeof buildRequest>['real']) {
  return createHash('sha256')
    .update(
      `${request.method}\n${request.url}\n${JSON.stringify(request.headers)}\n${request.body ?? ''}`
    )
    .digest('hex')
}

/**
 * Calls a connector with these inputs: the request (masked), the status,
 * the mapped fields and the filled reply, or what went wrong. Never throws
 * for the API's own failures (refused address, timeout, an error status,
 * an answer that is not JSON): `ok` is false and `error` says which.
 */
export async function callConnector(
  tenant: TenantContext,
  connectorOrId: Connector | string,
  inputs: Record<string, unknown>,
  options: { useCache?: boolean } = {}
): Promise<ConnectorCall> {
  const id = typeof connectorOrId === 'string' ? connectorOrId : connectorOrId.id
  const connector = await findStored(tenant, id)
  if (!connector) throw connectorNotFound()
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const blank = { method: connector.method, url: connector.urlTemplate, headers: {}, body: null }
  let values: Record<string, string>
  try {
    values = checkInputs(connector, inputs)
  } catch (error) {
    if (!(error instanceof ConnectorCallError)) throw error
    return failed(blank, null, error, elapsed())
  }
  const { real, shown } = buildRequest(connector, values)
  const useCache = (options.useCache ?? true) && connector.cacheSeconds > 0
  const hash = requestHash(real)
  if (useCache) {
    const hit = await tenant.transaction((trx) =>
      raw(
        trx,
        `select fields, status from api_connector_cache
          where connector_id = ? and request_hash = ? and expires_at > now()`,
        [connector.id, hash]
      )
    )
    if (hit.rows[0]) {
      const fields = { ...values, ...hit.rows[0].fields }
      return {
        ok: true,
        error: null,
        request: shown,
        status: hit.rows[0].status,
        fields: hit.rows[0].fields,
        reply: fillReply(connector.replyTemplate, fields),
        cached: true,
        durationMs: elapsed(),
      }
    }
  }

  let status: number | null = null
  try {
    const answer = await exchange(real, connector.timeoutMs)
    status = answer.status
    if (status < 200 || status >= 300) {
      throw new ConnectorCallError('http_error', `The API answered ${status}.`)
    }
    let document: unknown
    try {
      document = JSON.parse(answer.body)
    } catch {
      throw new ConnectorCallError('bad_json', 'The API’s answer is not JSON.')
    }
    const fields: Record<string, unknown> = {}
    for (const field of connector.mapping) {
      const value = readJsonPath(document, field.path)
      fields[field.name] = value === undefined ? null : value
    }
    if (useCache) {
      await tenant.transaction(async (trx) => {
        await raw(
          trx,
          'delete from api_connector_cache where connector_id = ? and expires_at <= now()',
          [connector.id]
        )
        await raw(
          trx,
          `insert into api_connector_cache (connector_id, request_hash, fields, status, expires_at)
           values (?, ?, ?::jsonb, ?, now() + make_interval(secs => ?))
           on conflict (connector_id, request_hash)
           do update set fields = excluded.fields, status = excluded.status, expires_at = excluded.expires_at`,
          [connector.id, hash, JSON.stringify(fields), status, connector.cacheSeconds]
        )
      })
    }
    return {
      ok: true,
      error: null,
      request: shown,
      status,
      fields,
      reply: fillReply(connector.replyTemplate, { ...values, ...fields }),
      cached: false,
      durationMs: elapsed(),
    }
  } catch (error) {
    if (!(error instanceof ConnectorCallError)) throw error
    return failed(shown, status, error, elapsed())
  }
}

function failed(
  request: ConnectorCall['request'],
  status: number | null,
  error: ConnectorCallError,
  durationMs: number
): ConnectorCall {
  return {
    ok: false,
    error: { code: error.code, message: error.message },
    request,
    status,
    fields: {},
    reply: null,
    cached: false,
    durationMs,
  }
}
