import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import type aiConfig from '#config/ai'
import { openAiClient } from '../ai_client.js'
import { FACT_KINDS, type FactKind, type MemoryFact } from '../memory.js'
import { MAX_SUMMARY_CHARS, type MemoryMessage } from './extractor.js'

/**
 * The memory written by the chat model at AI_BASE_URL: it reads the
 * previous summary and facts with the new messages and answers with JSON
 * (a new summary and the facts the new messages state). Any failure (the
 * model unreachable, an empty or malformed reply) returns null, and the
 * caller falls back to the offline extractor: the messages are never
 * skipped because a model misbehaved.
 */

export interface ModelMemory {
  summary: string | null
  facts: Array<MemoryFact & { kind: FactKind; message: number | null }>
}

/** Messages sent to the model in one call; older ones are already in the summary. */
const MAX_MESSAGES = 80
const MAX_MESSAGE_CHARS = 1000

export function memoryModelConfigured() {
  const config = app.config.get<typeof aiConfig>('ai')
  return Boolean(config.baseUrl && config.chatModel)
}

const SYSTEM_PROMPT = `You keep a customer-service team's memory of one customer.
You get the previous summary, the facts already known and the newest messages of their conversations (numbered).
Answer with JSON only, no prose, in this shape:
{"summary": "...", "facts": [{"kind": "name|preference|policy_number|date|email|phone|other", "value": "...", "message": 1}]}
- summary: at most 120 words, third person, in the language the customer writes in; keep what still matters from the previous summary and add what the new messages tell (their situation, requests, what was promised to them). Never invent anything.
- facts: only facts the NEW messages state about the customer (their name, preferences, policy numbers, dates that matter to them, email, phone), each with the number of the message it came from. Do not repeat known facts.`

function userPrompt(
  previous: { summary: string | null; facts: MemoryFact[] },
  messages: MemoryMessage[]
) {
  const known = previous.facts.length
    ? previous.facts.map((fact) => `- ${fact.kind}: ${fact.value}`).join('\n')
    : '(none)'
  const lines = messages.map((message, i) => {
    const who = message.direction === 'inbound' ? 'Customer' : 'Team'
    const body = message.body.replace(/\s+/g, ' ').slice(0, MAX_MESSAGE_CHARS)
    return `[${i + 1}] ${message.at.toISOString().slice(0, 16).replace('T', ' ')} ${who}: ${body}`
  })
  return `Previous summary:\n${previous.summary?.trim() || '(none)'}\n\nKnown facts:\n${known}\n\nNew messages:\n${lines.join('\n')}`
}

/** The JSON object in a reply, also when the model wrapped it in a code fence or prose. */
function jsonIn(content: string): unknown {
  const start = content.indexOf('{')
  const end = content.lastIndexOf('}')
  if (start < 0 || end <= start) return null
  try {
    return JSON.parse(content.slice(start, end + 1))
  } catch {
    return null
  }
}

/** The reply checked field by field; null unless it has a usable summary or facts list. */
export function parseMemoryReply(content: string, messageCount: number): ModelMemory | null {
  const data = jsonIn(content) as Record<string, unknown> | null
  if (!data || typeof data !== 'object' || Array.isArray(data)) return null
  const summary = data.summary
  if (summary !== undefined && summary !== null && typeof summary !== 'string') return null
  if (data.facts !== undefined && !Array.isArray(data.facts)) return null
  if (typeof summary !== 'string' && !Array.isArray(data.facts)) return null
  const facts: ModelMemory['facts'] = []
  for (const item of (data.facts as unknown[] | undefined) ?? []) {
    if (!item || typeof item !== 'object') continue
    const { kind, value, message } = item as Record<string, unknown>
    if (typeof value !== 'string' || !value.trim()) continue
    const known = FACT_KINDS.includes(kind as FactKind) ? (kind as FactKind) : 'other'
    const index =
      typeof message === 'number' && Number.isInteger(message) && message >= 1
        ? message <= messageCount
          ? message
          : null
        : null
    facts.push({
      kind: known,
      value: value.replace(/\s+/g, ' ').trim().slice(0, 300),
      message: index,
    })
  }
  const text = typeof summary === 'string' ? summary.trim().slice(0, MAX_SUMMARY_CHARS) : ''
  return { summary: text || null, facts }
}

/** The model's memory of these messages, or null (the caller then extracts offline). */
export async function summarizeWithModel(
  previous: { summary: string | null; facts: MemoryFact[] },
  messages: MemoryMessage[]
): Promise<ModelMemory | null> {
  const config = app.config.get<typeof aiConfig>('ai')
  if (!config.baseUrl || !config.chatModel) return null
  const recent = messages.slice(-MAX_MESSAGES)
  let content: string | null
  try {
    const client = openAiClient(config)
    const completion = await client.chat.completions.create({
      model: config.chatModel,
      temperature: 0,
      response_format: { type: 'json_object' },
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: userPrompt(previous, recent) },
      ],
    })
    content = completion.choices?.[0]?.message?.content ?? null
  } catch (error) {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'memory: the chat model failed; extracting offline'
    )
    return null
  }
  const parsed = content ? parseMemoryReply(content, recent.length) : null
  if (!parsed) {
    logger.warn('memory: the chat model gave no usable JSON; extracting offline')
    return null
  }
  // Message numbers point into `recent`; give callers positions in `messages`.
  const offset = messages.length - recent.length
  return {
    summary: parsed.summary,
    facts: parsed.facts.map((fact) => ({
      ...fact,
      message: fact.message === null ? null : fact.message + offset,
    })),
  }
}
