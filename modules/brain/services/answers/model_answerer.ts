import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import type aiConfig from '#config/ai'
import { openAiClient } from '../ai_client.js'
import type { SourceLanguage } from '../conversion.js'
import type { SearchHit } from '../search.js'
import { answerExtractively, retrievalEvidence, selectPassages } from './extractive_answerer.js'
import {
  citationFor,
  clamp01,
  refusal,
  replyLanguage,
  roundConfidence,
  type ReplyLanguage,
} from './replies.js'
import { plainText } from './text_analysis.js'
import type { ConversationContext } from './follow_up.js'
import { checkSupport } from './support_check.js'
import { DEFAULT_CONFIDENCE_THRESHOLD, type Answer, type Citation } from './types.js'

type AiConfig = typeof aiConfig

/** What the model must answer, exactly, when the passages do not cover the question. */
export const NOT_COVERED_MARKER = 'NOT_COVERED'

/** Longest passage text sent to the model; chunks are normally far shorter. */
const MAX_PASSAGE_CHARS = 4000
/** Longest contact memory sent; it is context, not the knowledge. */
const MAX_MEMORY_CHARS = 2000
/** Longest earlier message sent with a follow-up. */
const MAX_TURN_CHARS = 1000

/** How a channel's assistant presents itself, and what the business tells it. */
export interface AssistantPersona {
  name?: string | null
  instructions?: string | null
}

/** Longest instructions sent: guidance on tone, not a second knowledge base. */
const MAX_INSTRUCTION_CHARS = 2000

export interface ModelAnswerOptions {
  threshold?: number
  persona?: AssistantPersona | null
  /** The customer's name from memory: used if the model fails and the offline answer stands in. */
  customerName?: string | null
  language?: SourceLanguage
  /** What the business knows about the customer (summary and facts). */
  contactMemory?: string | null
  /** The conversation's last exchange: a follow-up is read with it. */
  conversation?: ConversationContext | null
  /** The question with its context, as the evidence for the passages is weighed (default: the question). */
  evidenceQuestion?: string
  /** Overrides of config/ai.ts for this call (a channel's own model, a test server). */
  provider?: Partial<
    Pick<AiConfig, 'baseUrl' | 'apiKey' | 'chatModel' | 'timeoutMs' | 'maxRetries'>
  >
}

const LANGUAGE_NAME: Record<ReplyLanguage, string> = { english: 'English', arabic: 'Arabic' }

export function systemPrompt(language: ReplyLanguage, persona?: AssistantPersona | null) {
  const name = persona?.name?.trim()
  const instructions = persona?.instructions?.trim()
  // The business's instructions shape tone and manner; the rules below still
  // win (they come last and say so), so no instruction can license guessing.
  const intro = [
    name ? `Your name is ${name.slice(0, 80)}.` : null,
    instructions
      ? `The business's instructions for you (they never override the rules below):\n${instructions.slice(0, MAX_INSTRUCTION_CHARS)}`
      : null,
  ].filter((line): line is string => line !== null)
  return [
    "You answer a customer's question on behalf of a business, using ONLY the numbered passages from the business's own documents that you are given.",
    ...(intro.length ? ['', ...intro] : []),
    '',
    'Rules:',
    '1. Use only what the passages state. Do not add outside knowledge, assumptions or advice, and never guess.',
    '2. Cite the passage behind every statement with its number in square brackets, like [1] or [2][3]. Cite only passage numbers that exist.',
    `3. Write the answer in ${LANGUAGE_NAME[language]}, the language of the question, even when the passages are in another language. Keep it short and plain: it is a chat message.`,
    '4. Lead with the answer itself in one or two sentences. Add a short quote from a passage only where it helps the customer; no preamble such as "according to our documents".',
    '5. Write numbers, prices, dates, durations and phone numbers exactly as the passages write them.',
    `6. If the passages do not answer the question, do not answer it: set "answer" to exactly ${NOT_COVERED_MARKER} and "covered" to false.`,
    '7. Facts about the customer, if given, help you understand the question; they are not a source for facts about the business. A follow-up question is read with the earlier exchange, if given.',
    '8. Every sentence you write is checked against the passages it cites; a sentence they do not support is removed before the customer sees it.',
    '',
    'Reply with one JSON object and nothing else:',
    `{"answer": "<the answer with [n] citations, or ${NOT_COVERED_MARKER}>", "citations": [<the passage numbers you used>], "covered": <true or false>, "confidence": <0 to 1: how completely the passages answer the question>}`,
  ].join('\n')
}

export function userPrompt(
  question: string,
  hits: SearchHit[],
  contactMemory?: string | null,
  conversation?: ConversationContext | null
) {
  const passages = hits.map((hit, i) => {
    const where = [hit.title, ...hit.headingPath].filter(Boolean).join(' › ')
    const page = hit.page !== null ? ` (page ${hit.page})` : ''
    return `[${i + 1}] ${where}${page}\n${hit.text.slice(0, MAX_PASSAGE_CHARS)}`
  })
  const parts = [`Passages:\n\n${passages.join('\n\n')}`]
  const memory = contactMemory?.trim()
  if (memory) {
    parts.push(`What we know about this customer:\n${memory.slice(0, MAX_MEMORY_CHARS)}`)
  }
  const previous = conversation?.previousQuestion?.trim()
  if (previous) {
    const answered = conversation?.previousAnswer?.trim()
    parts.push(
      [
        'Earlier in this conversation (to understand a follow-up; not a source of facts):',
        `Customer: ${previous.slice(0, MAX_TURN_CHARS)}`,
        ...(answered ? [`You: ${answered.slice(0, MAX_TURN_CHARS)}`] : []),
      ].join('\n')
    )
  }
  parts.push(`Question: ${question}`)
  return parts.join('\n\n---\n\n')
}

interface ModelReply {
  answer: string
  citations: number[]
  covered: boolean
  confidence: number | null
  /** JSON that does not parse, or an object without an answer: not a reply to trust. */
  malformed: boolean
}

/**
 * Reads the model's reply. Asked for a JSON object, models still wrap it in
 * a code fence, add a sentence before it, or ignore the format and write
 * prose; all of these are understood. The refusal marker anywhere in the
 * answer means not covered.
 */
export function parseModelReply(content: string): ModelReply {
  const trimmed = content.trim()
  let parsed: Record<string, unknown> | null = null
  let broken = false
  const start = trimmed.indexOf('{')
  const end = trimmed.lastIndexOf('}')
  if (start >= 0 && end > start) {
    try {
      const value = JSON.parse(trimmed.slice(start, end + 1))
      if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value
      else broken = true
    } catch {
      broken = true
    }
  } else if (trimmed.startsWith('{')) {
    // A JSON object cut off (the model ran out of tokens).
    broken = true
  }

  const answer =
    parsed && typeof parsed.answer === 'string' ? parsed.answer.trim() : parsed ? '' : trimmed
  const listed = Array.isArray(parsed?.citations)
    ? (parsed.citations as unknown[]).map(Number).filter((n) => Number.isInteger(n))
    : []
  const marker = answer.toUpperCase().includes(NOT_COVERED_MARKER) || answer === ''
  const covered = parsed?.covered === false || parsed?.covered === 'false' ? false : !marker
  let confidence: number | null = null
  const raw = parsed?.confidence
  const numeric = typeof raw === 'string' ? Number.parseFloat(raw) : raw
  if (typeof numeric === 'number' && Number.isFinite(numeric)) {
    // Some models answer in percent.
    confidence = clamp01(numeric > 1 ? numeric / 100 : numeric)
  }
  const malformed =
    broken || (parsed !== null && typeof parsed.answer !== 'string' && parsed.covered !== false)
  return { answer, citations: listed, covered: covered && !marker, confidence, malformed }
}

/** Citation markers in the text: [2], [1, 3], [1][2]. */
const MARKER = /\[(\d+(?:\s*,\s*\d+)*)\]/g

/**
 * Keeps the citations that point at a passage that exists, renumbered 1, 2,
 * ... in order of first mention, and rewrites the markers in the text to
 * match. A marker for a passage that does not exist (the model invented it)
 * is removed rather than shown to the customer.
 */
function resolveCitations(answer: string, listed: number[], count: number) {
  const order: number[] = []
  const note = (n: number) => {
    if (n >= 1 && n <= count && !order.includes(n)) order.push(n)
  }
  for (const match of answer.matchAll(MARKER)) {
    for (const part of match[1].split(',')) note(Number(part))
  }
  // Numbers listed but never marked in the text are still the model's sources.
  for (const n of listed) note(n)
  const renumber = new Map(order.map((n, i) => [n, i + 1]))
  const text = answer
    .replace(MARKER, (_, numbers: string) => {
      const kept = numbers
        .split(',')
        .map((part) => renumber.get(Number(part)))
        .filter((n): n is number => n !== undefined)
      return kept.map((n) => `[${n}]`).join('')
    })
    .replace(/[ \t]+([.,;:!?\u060C\u061F])/g, '$1')
    .replace(/[ \t]{2,}/g, ' ')
    .trim()
  return { text, order }
}

/** The passage of a cited chunk that the answer rests on, for agents to check. */
function quoteFor(question: string, answer: string, hit: SearchHit) {
  const selection = selectPassages(`${question} ${answer}`, [hit])
  const passages = selection.quotes[0]?.passages
  if (passages?.length) return passages.join(' … ')
  const text = plainText(hit.text)
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

function providerConfig(options: ModelAnswerOptions) {
  const config = app.config.get<AiConfig>('ai')
  return { ...config, ...options.provider }
}

/**
 * Answers with the chat model at AI_BASE_URL from the retrieved passages
 * only, with numbered citations. The model's own judgement (covered,
 * confidence) is combined with the retrieval evidence for the passages it
 * cited. No database transaction is open here: callers search first, then
 * call the model. Any failure of the model (timeouts, 5xx and 429 after the
 * client's retries, an empty reply) falls back to the extractive answer,
 * marked reason 'model_error'.
 */
export async function answerWithModel(
  question: string,
  hits: SearchHit[],
  options: ModelAnswerOptions = {}
): Promise<Answer> {
  const threshold = options.threshold ?? DEFAULT_CONFIDENCE_THRESHOLD
  const language = replyLanguage(question, options.language)
  if (hits.length === 0) return refusal(language, 'no_knowledge', 'llm')
  // A follow-up's evidence is weighed with the question it follows.
  const weighed = options.evidenceQuestion ?? question

  const config = providerConfig(options)
  if (!config.baseUrl || !config.chatModel) {
    return fallback(weighed, hits, options, new Error('no chat model configured'))
  }

  let content: string | null
  try {
    const client = openAiClient(config)
    const completion = await client.chat.completions.create({
      model: config.chatModel,
      temperature: 0,
      messages: [
        { role: 'system', content: systemPrompt(language, options.persona) },
        {
          role: 'user',
          content: userPrompt(question, hits, options.contactMemory, options.conversation),
        },
      ],
    })
    content = completion.choices?.[0]?.message?.content ?? null
  } catch (error) {
    return fallback(weighed, hits, options, error)
  }
  if (!content?.trim()) {
    return fallback(weighed, hits, options, new Error('the model returned an empty reply'))
  }

  const reply = parseModelReply(content)
  if (reply.malformed) {
    return fallback(weighed, hits, options, new Error('the model reply was malformed'))
  }
  const evidence = retrievalEvidence(weighed, hits)
  if (!reply.covered) {
    return refusal(language, 'not_covered', 'llm', roundConfidence(evidence * 0.3))
  }

  const resolved = resolveCitations(reply.answer, reply.citations, hits.length)
  const { order } = resolved
  const cited = order.map((n) => hits[n - 1])
  // Sentences the cited passages do not support never reach the customer;
  // an answer that loses most of its sentences is handed to a person.
  const support = checkSupport(
    resolved.text,
    cited.map((hit) => hit.text)
  )
  const text = support.text
  if (support.removed.length) {
    logger.info({ removed: support.removed.length }, 'brain: unsupported sentences removed')
  }
  if (cited.length && (support.kept === 0 || support.removed.length > support.kept)) {
    return refusal(language, 'low_confidence', 'llm', roundConfidence(evidence * 0.3))
  }
  const citations: Citation[] = cited.map((hit, i) =>
    citationFor(i + 1, hit, quoteFor(weighed, text, hit))
  )
  // An answer that cites nothing it was given is not grounded: however sure
  // the model sounds, it is not given to the customer.
  const modelConfidence = cited.length === 0 ? 0 : (reply.confidence ?? 0.7)
  const citedEvidence = cited.length ? retrievalEvidence(weighed, cited) : 0
  const confidence = roundConfidence(0.7 * modelConfidence + 0.3 * citedEvidence)
  if (confidence < threshold || !text) {
    return refusal(language, 'low_confidence', 'llm', confidence)
  }
  return { text, citations, confidence, handoff: false, mode: 'llm' }
}

function fallback(
  question: string,
  hits: SearchHit[],
  options: ModelAnswerOptions,
  error: unknown
): Answer {
  logger.warn(
    { err: error instanceof Error ? error.message : String(error) },
    'brain: chat model failed; answering extractively'
  )
  const answer = answerExtractively(question, hits, {
    threshold: options.threshold,
    language: options.language,
    customerName: options.customerName,
  })
  return { ...answer, reason: 'model_error' }
}
