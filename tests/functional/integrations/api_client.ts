import { WebSession } from '#tests/helpers/web_session'
import { createApiKey } from '#modules/integrations/index'
import { type ApiScope, ALL_SCOPES } from '#app/http/api/index'
import { systemActor } from '#modules/tenancy/index'

/*
| A program's view of the REST API: real HTTP to the suite's server with a
| bearer token, as n8n or Zapier would call it.
*/

export interface ApiResponse {
  status: number
  headers: Headers
  text: string
  json: any
}

export async function api(
  method: string,
  path: string,
  options: {
    token?: string | null
    body?: unknown
    rawBody?: string
    contentType?: string
    headers?: Record<string, string>
  } = {}
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined
  if (options.rawBody !== undefined) body = options.rawBody
  else if (options.body !== undefined) body = JSON.stringify(options.body)
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json'
  const response = await fetch(`${WebSession.baseUrl()}${path}`, { method, headers, body })
  const text = await response.text()
  let json: unknown = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = null
  }
  return { status: response.status, headers: response.headers, text, json }
}

/** A key for `tenant` with `scopes` (all by default); returns the key and its token. */
export async function makeKey(
  tenant: { id: string; slug: string },
  scopes: readonly ApiScope[] = ALL_SCOPES,
  options: { name?: string; expiresInDays?: number | null } = {}
) {
  return createApiKey(
    tenant,
    { name: options.name ?? 'test key', scopes, expiresInDays: options.expiresInDays ?? null },
    systemActor
  )
}

/** A phone number no other test uses. */
let counter = 0
export function freshPhone() {
  counter = (counter + 1) % 1000
  const tail = `${Date.now() % 1_000_000}${String(counter).padStart(3, '0')}`
  return `+1555${tail}`
}
