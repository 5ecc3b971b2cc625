import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'
import type { Group } from '@japa/runner/core'
import { closeServer, patientServer } from '#tests/helpers/local_http'

export interface OpenAICall {
  at: number
  method: string
  path: string
  authorization: string | undefined
  body: any
}

/** A scripted answer: an HTTP status, a JSON body and headers (e.g. retry-after-ms). */
export type OpenAIReply = { status: number; body: unknown; headers?: Record<string, string> }

/**
 * A function call the assistant makes, as a test scripts it: `arguments`
 * an object (sent JSON-encoded, as OpenAI does) or a raw string (to send
 * arguments that are not JSON).
 */
export interface ScriptedToolCall {
  name: string
  arguments: Record<string, unknown> | string
}

/** An answer that calls functions (finish_reason 'tool_calls') instead of writing text. */
export type ToolCallReply = { toolCalls: ScriptedToolCall[]; content?: string | null }

type ChatAnswer = string | OpenAIReply | ToolCallReply

/** What a test's chat responder returns: the assistant's text, its tool calls, or a whole HTTP answer. */
export type ChatResponder = (request: any) => ChatAnswer | Promise<ChatAnswer>

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/

/**
 * A local stand-in for an OpenAI-compatible API (what OpenAI, Azure, Ollama
 * and vLLM speak), so the real `openai` client runs against it:
 *
 * - POST /v1/embeddings answers {object:'list', data:[{object:'embedding',
 *   index, embedding}], model, usage}, with deterministic vectors (the
 *   input's hashed words, `dimensions` long: the request's, else the
 *   server's default), as floats or base64 as encoding_format asks;
 * - POST /v1/chat/completions answers {id, object:'chat.completion',
 *   created, model, choices:[{index, message:{role:'assistant', content},
 *   finish_reason:'stop'}], usage}, with the content the test's responder
 *   returns;
 *   or, when the responder gives `toolCalls`, message {role:'assistant',
 *   content:null, tool_calls:[{id, type:'function', function:{name,
 *   arguments}}]} with finish_reason 'tool_calls'. A request's `tools` are
 *   checked as OpenAI does ({type:'function', function:{name matching
 *   ^[a-zA-Z0-9_-]{1,64}$, parameters: a JSON Schema object}}, names
 *   unique; tool_choice 'none' | 'auto' | 'required' | a named function):
 *   a wrong one is a 400 invalid_request_error naming the param;
 * - scripted failures (`fail()`) come first, in order, with OpenAI's error
 *   shape {error:{message, type, param, code}}.
 *
 * Every request is recorded in `calls`.
 */
export class FakeOpenAIServer {
  readonly calls: OpenAICall[] = []
  /** Vector size when a request names none. */
  dimensions = 64
  /** Models the server knows; empty means any. */
  readonly models = new Set<string>()
  #server: Server | null = null
  #script: OpenAIReply[] = []
  #chat: ChatResponder = () => 'OK'

  get url() {
    const { port } = this.#server!.address() as AddressInfo
    return `http://127.0.0.1:${port}/v1`
  }

  embeddingCalls() {
    return this.calls.filter((call) => call.path.endsWith('/embeddings'))
  }

  chatCalls() {
    return this.calls.filter((call) => call.path.endsWith('/chat/completions'))
  }

  /** Sets how chat completions are answered. */
  respond(responder: ChatResponder) {
    this.#chat = responder
    return this
  }

  /** Queues answers that come before any normal one (errors, rate limits). */
  reply(...replies: OpenAIReply[]) {
    this.#script.push(...replies)
    return this
  }

  /** Queues an OpenAI-style error, e.g. fail(429, 'rate_limit_exceeded'). */
  fail(status: number, code: string, message = code, headers?: Record<string, string>) {
    return this.reply({ status, body: openAIError(status, code, message), headers })
  }

  reset() {
    this.calls.length = 0
    this.#script = []
    this.#chat = () => 'OK'
    this.models.clear()
  }

  async start() {
    this.#server = patientServer(
      createServer(async (request, response) => {
        const raw = await readBody(request)
        let body: any = null
        try {
          body = raw.length ? JSON.parse(raw.toString('utf8')) : null
        } catch {
          return send(
            response,
            400,
            openAIError(400, 'invalid_json', 'We could not parse the JSON body')
          )
        }
        const path = new URL(request.url ?? '/', 'http://x').pathname
        this.calls.push({
          at: Date.now(),
          method: request.method ?? 'GET',
          path,
          authorization: request.headers.authorization,
          body,
        })

        const scripted = this.#script.shift()
        if (scripted) return send(response, scripted.status, scripted.body, scripted.headers)

        if (request.method === 'POST' && path === '/v1/embeddings')
          return this.#embeddings(body, response)
        if (request.method === 'POST' && path === '/v1/chat/completions') {
          return this.#completion(body, response)
        }
        send(
          response,
          404,
          openAIError(404, 'unknown_url', `Unknown request URL: ${request.method} ${path}`)
        )
      })
    )
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve))
    return this
  }

  #embeddings(body: any, response: ServerResponse) {
    const model = body?.model
    if (!model)
      return send(
        response,
        400,
        openAIError(400, 'missing_model', 'you must provide a model parameter')
      )
    if (this.models.size && !this.models.has(model)) {
      return send(
        response,
        404,
        openAIError(404, 'model_not_found', `The model \`${model}\` does not exist`)
      )
    }
    const inputs: string[] = typeof body.input === 'string' ? [body.input] : (body.input ?? [])
    if (
      !Array.isArray(inputs) ||
      inputs.length === 0 ||
      inputs.some((input) => typeof input !== 'string' || input === '')
    ) {
      return send(response, 400, openAIError(400, 'invalid_input', "'$.input' is invalid"))
    }
    const size = Number(body.dimensions ?? this.dimensions)
    const base64 = body.encoding_format === 'base64'
    let tokens = 0
    const data = inputs.map((input, index) => {
      tokens += input.split(/\s+/).filter(Boolean).length
      const vector = hashedVector(`${model}\u0000${input}`, size)
      return {
        object: 'embedding',
        index,
        embedding: base64
          ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
          : vector,
      }
    })
    send(response, 200, {
      object: 'list',
      data,
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    })
  }

  async #completion(body: any, response: ServerResponse) {
    if (!body?.model || !Array.isArray(body.messages)) {
      return send(
        response,
        400,
        openAIError(400, 'invalid_request', "'messages' and 'model' are required")
      )
    }
    const toolError = checkTools(body)
    if (toolError) return send(response, 400, toolError)
    const answer = await this.#chat(body)
    if (typeof answer !== 'string' && 'toolCalls' in answer) {
      return send(response, 200, {
        id: `chatcmpl-${randomBytes(12).toString('hex')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: answer.content ?? null,
              refusal: null,
              tool_calls: answer.toolCalls.map((call) => ({
                id: `call_${randomBytes(12).toString('hex')}`,
                type: 'function',
                function: {
                  name: call.name,
                  arguments:
                    typeof call.arguments === 'string'
                      ? call.arguments
                      : JSON.stringify(call.arguments),
                },
              })),
            },
            logprobs: null,
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      })
    }
    if (typeof answer !== 'string')
      return send(response, answer.status, answer.body, answer.headers)
    send(response, 200, {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: answer, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: answer.split(/\s+/).length, total_tokens: 10 },
    })
  }

  async stop() {
    await closeServer(this.#server)
  }
}

/**
 * A vector that depends only on the text: its words hashed into `size`
 * signed buckets, normalised. Texts sharing words are close, as a real
 * model's would be for these tests' purposes.
 */
function hashedVector(text: string, size: number) {
  const vector = new Array<number>(size).fill(0)
  const [, words = ''] = text.split('\u0000')
  const model = text.split('\u0000')[0]
  for (const word of words.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const digest = createHash('sha256').update(`${model}:${word}`).digest()
    vector[digest.readUInt32BE(0) % size] += digest[4] & 1 ? 1 : -1
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0))
  return norm ? vector.map((value) => value / norm) : vector.map((_, i) => (i === 0 ? 1 : 0))
}

/** OpenAI's checks of a request's `tools` and `tool_choice`: the error body, or null. */
function checkTools(body: any) {
  const invalid = (param: string, message: string) => ({
    error: { message, type: 'invalid_request_error', param, code: null },
  })
  if (body.tools === undefined) {
    return body.tool_choice === undefined || body.tool_choice === 'none'
      ? null
      : invalid(
          'tool_choice',
          "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified."
        )
  }
  if (!Array.isArray(body.tools))
    return invalid('tools', "Invalid type for 'tools': expected an array.")
  if (body.tools.length > 128) return invalid('tools', "Invalid 'tools': array too long.")
  const names = new Set<string>()
  for (const [i, tool] of body.tools.entries()) {
    if (tool?.type !== 'function')
      return invalid(`tools[${i}].type`, `Invalid value: '${tool?.type}'.`)
    const fn = tool.function
    if (!fn || typeof fn.name !== 'string' || !FUNCTION_NAME.test(fn.name)) {
      return invalid(
        `tools[${i}].function.name`,
        "Invalid 'tools[].function.name': string does not match pattern."
      )
    }
    if (names.has(fn.name)) return invalid('tools', `Duplicate function name: '${fn.name}'.`)
    names.add(fn.name)
    if (fn.description !== undefined && typeof fn.description !== 'string') {
      return invalid(`tools[${i}].function.description`, 'Invalid type: expected a string.')
    }
    const schema = fn.parameters
    if (
      schema !== undefined &&
      (typeof schema !== 'object' || schema === null || schema.type !== 'object')
    ) {
      return invalid(
        `tools[${i}].function.parameters`,
        'Invalid schema for function: schema must be a JSON Schema of \'type: "object"\'.'
      )
    }
  }
  const choice = body.tool_choice
  if (choice !== undefined && !['none', 'auto', 'required'].includes(choice)) {
    if (choice?.type !== 'function' || !names.has(choice.function?.name)) {
      return invalid('tool_choice', "Invalid value for 'tool_choice'.")
    }
  }
  return null
}

function openAIError(status: number, code: string, message: string) {
  const type =
    status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error'
  return { error: { message, type, param: null, code } }
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
) {
  response
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify(body))
}

async function readBody(request: IncomingMessage) {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * A FakeOpenAIServer for a test group, with the app's AI settings pointed at
 * it (AI_BASE_URL, and the models given) and put back afterwards.
 */
export function useFakeOpenAI(
  group: Group,
  settings: {
    embedModel?: string | null
    chatModel?: string | null
    embedDimensions?: number | null
  } = {}
) {
  const server = new FakeOpenAIServer()
  group.setup(async () => {
    await server.start()
    const previous = { ...app.config.get<Record<string, unknown>>('ai') }
    app.config.set('ai', {
      ...previous,
      baseUrl: server.url,
      apiKey: 'test-key',
      embedModel: settings.embedModel === undefined ? previous.embedModel : settings.embedModel,
      chatModel: settings.chatModel === undefined ? previous.chatModel : settings.chatModel,
      embedDimensions:
        settings.embedDimensions === undefined
          ? previous.embedDimensions
          : settings.embedDimensions,
    })
    return async () => {
      app.config.set('ai', previous)
      await server.stop()
    }
  })
  group.each.setup(() => server.reset())
  return server
}
