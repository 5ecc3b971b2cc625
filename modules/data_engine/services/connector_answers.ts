import i18nManager from '@adonisjs/i18n/services/main'
import { foldText, type DataAnswer, type DataQuestion } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import {
  callConnector,
  listConnectors,
  type Connector,
  type ConnectorCall,
  type ConnectorParameter,
} from './connector_service.js'

/*
| The assistant's (and agents') live lookups. Offline, a message is for a
| connector when it says one of the connector's trigger phrases ("order",
| "طلب") and every required parameter is found in it by the parameter's
| pattern (or, without one, by its type: the first whole number for an
| integer). "Where is my order 4471?" calls the order connector with
| order = 4471 and answers with its reply template. A trigger without its
| parameter asks for it; a call that fails or times out says so and hands
| the conversation to a person. Never longer than the connector's timeout.
*/

/** The values of a connector's parameters found in a message, or the first required one missing. */
export function extractInputs(
  connector: Connector,
  message: string
): { inputs: Record<string, string>; missing: ConnectorParameter | null } {
  const inputs: Record<string, string> = {}
  // Western digits, so "٤٤٧١" is found as 4471.
  const plain = message.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
  let rest = plain
  for (const parameter of connector.parameters) {
    const pattern = parameter.pattern
      ? new RegExp(parameter.pattern, 'iu')
      : parameter.type === 'integer'
        ? /(?<![\d.])(\d+)(?![\d.])/u
        : parameter.type === 'number'
          ? /(?<![\d.])(\d+(?:\.\d+)?)(?![\d.])/u
          : null
    const match = pattern ? pattern.exec(rest) : null
    if (match) {
      inputs[parameter.name] = (match[1] ?? match[0]).trim()
      // One piece of the message fills one parameter.
      rest =
        rest.slice(0, match.index) +
        ' '.repeat(match[0].length) +
        rest.slice(match.index + match[0].length)
    } else if (parameter.required) {
      return { inputs, missing: parameter }
    }
  }
  return { inputs, missing: null }
}

function fold(text: string) {
  return ` ${foldText(text)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `
}

/** Whether the message says one of the connector's phrases (whole words, folded). */
export function triggered(connector: Connector, message: string) {
  const folded = fold(message)
  return connector.triggers.some((phrase) => {
    const words = fold(phrase).trim()
    return words !== '' && folded.includes(` ${words} `)
  })
}

export type ConnectorMatch =
  | { connector: Connector; inputs: Record<string, string>; missing: null }
  | { connector: Connector; inputs: Record<string, string>; missing: ConnectorParameter }

/**
 * The connector a message is for: one whose phrase it says (its parameters
 * found, or the first missing one named); without phrases, one whose every
 * parameter has a pattern that the message matches.
 */
export function matchConnector(connectors: Connector[], message: string): ConnectorMatch | null {
  let asking: ConnectorMatch | null = null
  for (const connector of connectors) {
    const found = extractInputs(connector, message)
    if (triggered(connector, message)) {
      if (!found.missing) return { connector, inputs: found.inputs, missing: null }
      asking ??= { connector, inputs: found.inputs, missing: found.missing }
      continue
    }
    const patterned =
      connector.triggers.length === 0 &&
      connector.parameters.length > 0 &&
      connector.parameters.every((p) => p.pattern || !p.required)
    if (patterned && !found.missing) return { connector, inputs: found.inputs, missing: null }
  }
  return asking
}

function t(language: DataQuestion['language'], key: string, data?: Record<string, unknown>) {
  return i18nManager
    .locale(language === 'arabic' ? 'ar' : 'en')
    .t(`connectors.assistant.${key}`, data)
}

/** A call's outcome as a chat message (for an agent, the reason of a failure too). */
export function callText(
  language: DataQuestion['language'],
  connector: Connector,
  call: ConnectorCall,
  forAgent = false
) {
  if (call.ok && call.reply) return call.reply
  if (call.ok) return t(language, 'empty', { connector: connector.name })
  const reason = forAgent ? ` (${call.error!.code}: ${call.error!.message})` : ''
  return t(language, 'failed', { connector: connector.name }) + reason
}

/** Answers a message with a connector the business opened to customers, or null. */
export async function answerFromConnectors(question: DataQuestion): Promise<DataAnswer | null> {
  if (question.choiceId) return null
  const connectors = await listConnectors(question.tenant, { answersCustomers: true })
  if (!connectors.length) return null
  const match = matchConnector(connectors, question.text)
  if (!match) return null
  return answerMatch(question.tenant, match, question.language)
}

async function answerMatch(
  tenant: TenantContext,
  match: ConnectorMatch,
  language: DataQuestion['language']
): Promise<DataAnswer> {
  const { connector } = match
  if (match.missing) {
    const example = match.missing.example ? ` (${match.missing.example})` : ''
    return {
      mode: 'connector',
      citations: [],
      content: {
        type: 'text',
        text: t(language, 'ask', { parameter: match.missing.name.replace(/_/g, ' '), example }),
      },
    }
  }
  const call = await callConnector(tenant, connector, match.inputs)
  if (!call.ok) {
    // The customer is told a person will look; the conversation goes to the team.
    return {
      mode: 'connector',
      citations: [],
      handoff: 'lookup_failed',
      content: { type: 'text', text: t(language, 'failed', { connector: connector.name }) },
    }
  }
  return {
    mode: 'connector',
    citations: [
      {
        n: 1,
        chunkId: `connector:${connector.id}`,
        sourceId: connector.id,
        title: connector.name,
        headingPath: [],
        page: null,
        url: null,
        quote: JSON.stringify(call.fields).slice(0, 500),
      },
    ],
    content: { type: 'text', text: callText(language, connector, call).slice(0, 4096) },
  }
}
