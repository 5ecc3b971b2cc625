import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/*
| A small stand-in for the n8n runtime around our nodes, enough to run their
| own methods as n8n calls them (n8n-workflow's public interfaces):
| credentials applied by the credential's `authenticate` and checked by its
| `test`, `execute` with items and parameters, the trigger's
| webhookMethods with the workflow's static data, and `webhook` behind a
| real HTTP endpoint that answers as n8n does ("Respond: Immediately" after
| the node returns). Expressions are only the `{{$credentials.x}}` kind the
| credential uses.
*/

export interface Credentials {
  baseUrl: string
  apiKey: string
}

type Json = Record<string, any>

function resolve(value: unknown, credentials: Credentials): any {
  if (typeof value !== 'string' || !value.startsWith('=')) return value
  return value
    .slice(1)
    .replace(/\{\{(.+?)\}\}/g, (_, expression: string) =>
      String(new Function('$credentials', `return (${expression})`)(credentials))
    )
}

/** n8n's httpRequest options, for what the nodes use. */
interface RequestOptions {
  method?: string
  url: string
  baseURL?: string
  headers?: Record<string, string>
  qs?: Json
  body?: unknown
  returnFullResponse?: boolean
  ignoreHttpStatusErrors?: boolean
}

export class N8nHarness {
  /** Every request the nodes made, for assertions on headers (Idempotency-Key). */
  readonly requests: Array<{ method: string; url: string; headers: Record<string, string> }> = []

  constructor(
    readonly credentialType: any,
    readonly credentials: Credentials
  ) {}

  async request(options: RequestOptions) {
    const headers: Record<string, string> = { ...options.headers }
    const auth = this.credentialType.authenticate?.properties?.headers ?? {}
    for (const [name, value] of Object.entries(auth))
      headers[name] = resolve(value, this.credentials)
    const url = new URL(`${resolve(options.baseURL ?? '', this.credentials)}${options.url}`)
    for (const [name, value] of Object.entries(options.qs ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value))
    }
    let body: string | undefined
    if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }
    const method = options.method ?? 'GET'
    this.requests.push({ method, url: url.toString(), headers })
    const response = await fetch(url, { method, headers, body })
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : ''
    } catch {}
    if (response.status >= 400 && !options.ignoreHttpStatusErrors) {
      throw Object.assign(new Error(`Request failed with status code ${response.status}`), {
        response: { status: response.status, data: parsed },
      })
    }
    if (!options.returnFullResponse) return parsed
    return {
      body: parsed,
      headers: Object.fromEntries(response.headers),
      statusCode: response.status,
      statusMessage: response.statusText,
    }
  }

  /** The credential's "Test" button: its request, then its rules. */
  async testCredential() {
    const { request, rules = [] } = this.credentialType.test
    let body: Json
    try {
      body = (await this.request({ ...request, baseURL: request.baseURL })) as Json
    } catch (error: any) {
      return { status: 'Error', message: error.response?.data?.error?.message ?? error.message }
    }
    for (const rule of rules) {
      if (rule.type !== 'responseSuccessBody') continue
      const value = rule.properties.key
        .split('.')
        .reduce((at: any, part: string) => at?.[part], body)
      if (value === rule.properties.value)
        return { status: 'Error', message: rule.properties.message }
    }
    return { status: 'OK', message: 'Connection successful', body }
  }

  #base(node: { name: string; type: string }, parameters: (i: number) => Json) {
    const harness = this
    return {
      getNode: () => ({
        id: 'node-1',
        name: node.name,
        type: node.type,
        typeVersion: 1,
        parameters: parameters(0),
      }),
      getWorkflow: () => ({ id: 'wf-1', name: 'Test workflow', active: true }),
      getCredentials: async (name: string) => {
        if (name !== harness.credentialType.name) throw new Error(`no credential ${name}`)
        return { ...harness.credentials }
      },
      getNodeParameter(name: string, i: number | unknown, fallback?: unknown) {
        const value = parameters(typeof i === 'number' ? i : 0)[name]
        if (value !== undefined) return value
        if (fallback !== undefined || arguments.length > 2) return fallback
        throw new Error(`Could not get parameter "${name}"`)
      },
      helpers: {
        httpRequestWithAuthentication(
          this: unknown,
          credentialName: string,
          options: RequestOptions
        ) {
          if (credentialName !== harness.credentialType.name) throw new Error('wrong credential')
          return harness.request(options)
        },
      },
    }
  }

  /** Runs an action node's execute() over `items`, with parameters per item. */
  async execute(
    node: any,
    items: Json[],
    parameters: Json | ((i: number) => Json),
    options: { continueOnFail?: boolean; name?: string } = {}
  ) {
    const byItem =
      typeof parameters === 'function' ? (parameters as (i: number) => Json) : () => parameters
    const context = {
      ...this.#base(
        { name: options.name ?? 'FloMastr', type: 'n8n-nodes-flomastr.floMastr' },
        byItem
      ),
      getInputData: () => items.map((json) => ({ json })),
      continueOnFail: () => options.continueOnFail ?? false,
    }
    const [output] = await node.execute.call(context)
    return output as Array<{ json: Json; pairedItem: { item: number } }>
  }

  /**
   * A trigger node as an active workflow holds it: its static data kept
   * between calls, its webhook URL served by a real HTTP endpoint.
   */
  async trigger(node: any, parameters: Json) {
    const staticData: Json = {}
    const emitted: Json[][] = []
    const base = this.#base(
      { name: 'FloMastr Trigger', type: 'n8n-nodes-flomastr.floMastrTrigger' },
      () => parameters
    )
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk) => chunks.push(chunk))
      request.on('end', async () => {
        const rawBody = Buffer.concat(chunks)
        Object.assign(request, { rawBody })
        let body: unknown = {}
        try {
          body = JSON.parse(rawBody.toString('utf8'))
        } catch {}
        const context = {
          ...base,
          getWorkflowStaticData: () => staticData,
          getRequestObject: () => request,
          getResponseObject: () => expressLike(response),
          getBodyData: () => body,
          getHeaderData: () => request.headers,
        }
        try {
          const result = await node.webhook.call(context)
          if (result.noWebhookResponse) return
          for (const run of result.workflowData ?? [])
            emitted.push(run.map((item: any) => item.json))
          response.writeHead(200, { 'content-type': 'application/json' })
          response.end(JSON.stringify({ message: 'Workflow was started' }))
        } catch (error) {
          response.writeHead(500, { 'content-type': 'application/json' })
          response.end(JSON.stringify({ message: (error as Error).message }))
        }
      })
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/abc/webhook`
    const hookContext = {
      ...base,
      getWorkflowStaticData: () => staticData,
      getNodeWebhookUrl: () => url,
    }
    const methods = node.webhookMethods.default
    return {
      url,
      staticData,
      emitted,
      checkExists: () => methods.checkExists.call(hookContext) as Promise<boolean>,
      create: () => methods.create.call(hookContext) as Promise<boolean>,
      delete: () => methods.delete.call(hookContext) as Promise<boolean>,
      stop: () => new Promise<void>((done) => server.close(() => done())),
    }
  }
}

/** The little of express's response the trigger uses. */
function expressLike(response: ServerResponse) {
  const wrapper = {
    status(code: number) {
      response.statusCode = code
      return wrapper
    },
    json(value: unknown) {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify(value))
      return wrapper
    },
  }
  return wrapper
}
