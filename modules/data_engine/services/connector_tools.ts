import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import type aiConfig from '#config/ai'
import { openAiClient } from '#modules/brain/index'
import type { Connector, ConnectorParameter } from './connector_service.js'

/*
| With a chat model configured, the model picks the live lookup by
| function calling: every connector that answers customers is a tool (its
| name, its description, its parameters as JSON Schema). The model's call
| is trusted no more than a stranger's form: the tool must be one offered,
| the arguments JSON with only the connector's parameters, each of its
| type and, with a pattern, matching it (in the value itself, or where the
| customer wrote it). A required parameter the model leaves out is asked
| for, as offline. Anything else gives null and the offline matcher decides.
*/

/** How long the model may take to pick a tool before the offline matcher decides alone. */
const PICK_TIMEOUT_MS = 15_000

/** OpenAI's rule for function names: ^[a-zA-Z0-9_-]{1,64}$. */
export function toolName(connector: Connector, index: number) {
  const slug = connector.name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
    .slice(0, 40)
  return `${slug || 'lookup'}_${index + 1}`
}

function parameterSchema(parameter: ConnectorParameter) {
  const described = [
    parameter.name.replace(/_/g, ' '),
    parameter.example ? `e.g. ${parameter.example}` : '',
  ]
    .filter(Boolean)
    .join(', ')
  if (parameter.type === 'integer') {
    return { type: ['integer', 'string'], description: `${described} (a whole number)` }
  }
  if (parameter.type === 'number') {
    return { type: ['number', 'string'], description: `${described} (a number)` }
  }
  return { type: 'string', description: described, maxLength: 500 }
}

/** The tools offered to the model: one per connector, in OpenAI's `tools` wire format. */
export function connectorTools(connectors: Connector[]) {
  return connectors.map((connector, index) => ({
    type: 'function' as const,
    function: {
      name: toolName(connector, index),
      description: (connector.description || connector.name).slice(0, 1000),
      parameters: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(
          connector.parameters.map((p) => [p.name, parameterSchema(p)])
        ),
        required: connector.parameters.filter((p) => p.required).map((p) => p.name),
      },
    },
  }))
}

/** Western digits, so "٤٤٧١" reads as 4471. */
export function westernDigits(text: string) {
  return text.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
}

/**
 * One argument the model gave, checked against its parameter: its type, and
 * its pattern (the pattern's capture taken from the value, or the value
 * found by the pattern where the customer wrote it). Null when it fails.
 */
export function checkArgument(
  parameter: ConnectorParameter,
  given: unknown,
  message: string
): string | null {
  if (typeof given !== 'string' && typeof given !== 'number') return null
  if (typeof given === 'number' && !Number.isFinite(given)) return null
  let value = westernDigits(String(given)).trim()
  if (!value || value.length > 500) return null
  if (parameter.pattern) {
    const pattern = new RegExp(parameter.pattern, 'iu')
    const own = pattern.exec(value)
    if (own) {
      value = (own[1] ?? own[0]).trim()
    } else {
      // A pattern with context ("ref (\S+)") matches the customer's words, not the bare value.
      const inMessage = pattern.exec(westernDigits(message))
      if (!inMessage || (inMessage[1] ?? inMessage[0]).trim() !== value) return null
    }
  }
  if (parameter.type === 'integer' && !/^-?\d+$/.test(value)) return null
  if (parameter.type === 'number' && !/^-?\d+(\.\d+)?$/.test(value)) return null
  return value || null
}

export type ToolPick =
  | { connector: Connector; inputs: Record<string, string>; missing: null }
  | { connector: Connector; inputs: Record<string, string>; missing: ConnectorParameter }

/** A tool call checked against the connectors offered; null when it does not hold. */
export function checkToolCall(
  connectors: Connector[],
  call: { name?: unknown; arguments?: unknown },
  message: string
): ToolPick | null {
  const index = connectors.findIndex((c, i) => toolName(c, i) === call.name)
  if (index < 0) return null
  const connector = connectors[index]
  let args: unknown
  try {
    args = typeof call.arguments === 'string' ? JSON.parse(call.arguments || '{}') : null
  } catch {
    return null
  }
  if (!args || typeof args !== 'object' || Array.isArray(args)) return null
  const known = new Set(connector.parameters.map((p) => p.name))
  if (Object.keys(args).some((key) => !known.has(key))) return null
  const inputs: Record<string, string> = {}
  let missing: ConnectorParameter | null = null
  for (const parameter of connector.parameters) {
    const given = (args as Record<string, unknown>)[parameter.name]
    if (given === undefined || given === null || given === '') {
      if (parameter.required) missing ??= parameter
      continue
    }
    const value = checkArgument(parameter, given, message)
    if (value === null) return null
    inputs[parameter.name] = value
  }
  return missing ? { connector, inputs, missing } : { connector, inputs, missing: null }
}

/**
 * The model's pick of a connector for the customer's message: the checked
 * call, 'none' when the model called no tool, or null when there is no
 * model, it failed, or its call did not hold (the offline matcher decides).
 */
export async function pickConnectorByModel(
  connectors: Connector[],
  message: string
): Promise<ToolPick | 'none' | null> {
  const config = app.config.get<typeof aiConfig>('ai')
  if (!config.baseUrl || !config.chatModel || !connectors.length) return null
  let calls: { name?: unknown; arguments?: unknown }[]
  try {
    const client = openAiClient({
      ...config,
      timeoutMs: Math.min(config.timeoutMs, PICK_TIMEOUT_MS),
      maxRetries: Math.min(config.maxRetries, 1),
    })
    const completion = await client.chat.completions.create({
      model: config.chatModel,
      temperature: 0,
      tools: connectorTools(connectors),
      tool_choice: 'auto',
      parallel_tool_calls: false,
      messages: [
        {
          role: 'system',
          content:
            "You route a business's customer messages to live lookups. Call a function only " +
            'when the message asks for what it looks up. Use only values the customer wrote; ' +
            'never invent or guess one: leave a value out when the customer did not give it. ' +
            'When no function fits, answer with the single word none.',
        },
        { role: 'user', content: message.slice(0, 2000) },
      ],
    })
    const toolCalls = completion.choices?.[0]?.message?.tool_calls ?? []
    calls = toolCalls
      .filter((call: any) => call?.type === 'function' && call.function)
      .map((call: any) => call.function)
  } catch (error) {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'connectors: the chat model failed to pick a lookup; matching offline'
    )
    return null
  }
  if (!calls.length) return 'none'
  const checked = checkToolCall(connectors, calls[0], message)
  if (!checked) {
    logger.warn(
      { tool: String(calls[0].name).slice(0, 80) },
      "connectors: the chat model's tool call did not hold; matching offline"
    )
  }
  return checked
}
