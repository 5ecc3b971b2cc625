import { createHash } from 'node:crypto'
import type {
  IDataObject,
  IExecuteFunctions,
  IHookFunctions,
  IHttpRequestMethods,
  IHttpRequestOptions,
} from 'n8n-workflow'
import { NodeApiError } from 'n8n-workflow'

/*
| Every call of the nodes to FloMastr: the credential's address and key
| (n8n adds the bearer header from the credential), and the API's own
| `{error: {code, message, fields}}` raised as the node's error, so a run
| says "The phone number must be in international form" instead of "422".
*/

export const CREDENTIAL = 'floMastrApi'

type Context = IExecuteFunctions | IHookFunctions

export interface ApiCall {
  method: IHttpRequestMethods
  path: string
  body?: IDataObject
  qs?: IDataObject
  headers?: Record<string, string>
  /** Statuses answered without an error (e.g. 404 when deleting). */
  accept?: number[]
}

export async function apiRequest(context: Context, call: ApiCall) {
  const credentials = await context.getCredentials(CREDENTIAL)
  const base = String(credentials.baseUrl).trim().replace(/\/+$/, '')
  const options: IHttpRequestOptions = {
    method: call.method,
    url: `${base}/api/v1${call.path}`,
    headers: { Accept: 'application/json', ...call.headers },
    qs: call.qs,
    body: call.body,
    json: true,
    returnFullResponse: true,
    ignoreHttpStatusErrors: true,
  }
  const response = await context.helpers.httpRequestWithAuthentication.call(
    context,
    CREDENTIAL,
    options
  )
  const status = Number(response.statusCode)
  const body = response.body as IDataObject | undefined
  if (status >= 400 && !call.accept?.includes(status)) {
    const error = (body?.error ?? {}) as { code?: string; message?: string; fields?: IDataObject }
    const fields = error.fields
      ? Object.entries(error.fields)
          .map(([field, messages]) => `${field}: ${([] as unknown[]).concat(messages).join(', ')}`)
          .join('; ')
      : undefined
    throw new NodeApiError(context.getNode(), (body ?? {}) as never, {
      message: error.message ?? `FloMastr answered ${status}`,
      description: fields,
      httpCode: String(status),
    })
  }
  return { status, body }
}

/**
 * An Idempotency-Key from stable data, so a retried run (n8n's Retry starts
 * a new execution) repeats nothing and two items of one run never share a
 * key: this workflow and node, the operation, the event that started the
 * run when the item carries it, and what is sent.
 */
export function idempotencyKey(
  context: IExecuteFunctions,
  itemIndex: number,
  operation: string,
  body: IDataObject
) {
  const json = context.getInputData()[itemIndex]?.json ?? {}
  const eventId =
    (typeof json.event_id === 'string' && json.event_id) ||
    (typeof json.id === 'string' && json.id.startsWith('evt_') && json.id) ||
    ''
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        context.getWorkflow().id ?? '',
        context.getNode().name,
        operation,
        eventId,
        body,
      ])
    )
    .digest('hex')
  return `n8n-${digest.slice(0, 48)}`
}
