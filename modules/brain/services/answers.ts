import app from '@adonisjs/core/services/app'
import type aiConfig from '#config/ai'
import type { TenantContext } from '#modules/tenancy/index'
import type { SourceLanguage } from './conversion.js'
import { MAX_K, RRF_K, searchKnowledge, type SearchFilters, type SearchHit } from './search.js'
import { answerExtractively } from './answers/extractive_answerer.js'
import { answerWithModel, type AssistantPersona } from './answers/model_answerer.js'
import { memoryPrompt, type ContactMemory } from './memory.js'
import { contentTerms, expandQuery, termMatch, tokenize } from './text_toolkit.js'
import { replyLanguage } from './answers/replies.js'
import { withContext, type ConversationContext } from './answers/follow_up.js'

/**
 * Answers from the tenant's knowledge, with numbered citations: by the chat
 * model when one is configured, else by quoting the best passages. Either
 * way an answer the knowledge does not support is not given; the answer
 * says so and asks for a person (handoff).
 */

export { answerExtractively } from './answers/extractive_answerer.js'
export {
  answerWithModel,
  NOT_COVERED_MARKER,
  type ModelAnswerOptions,
  type AssistantPersona,
} from './answers/model_answerer.js'
export { DEFAULT_CONFIDENCE_THRESHOLD, type Answer, type Citation } from './answers/types.js'
export { isFollowUp, type ConversationContext } from './answers/follow_up.js'

export interface AnswerQuestionOptions {
  /**
   * What the business remembers about the customer (loadMemory): in the
   * model's prompt as context, and in the extractive answer only to address
   * the customer by name (it never becomes a fact about the business).
   */
  memory?: ContactMemory | null
  /** Already-written memory text for the prompt; `memory` wins when both are given. */
  contactMemory?: string | null
  /** A channel assistant's name and the business's instructions (model prompt only). */
  persona?: AssistantPersona | null
  k?: number
  filters?: SearchFilters
  /** Below this confidence the question is handed to a person (a channel's setting). */
  threshold?: number
  /** The channel's reply language; by default the question's. */
  language?: SourceLanguage
  /** The conversation's last exchange, for follow-ups ("and the price?"). */
  conversation?: ConversationContext | null
}

/**
 * Passages retrieved for an answer: enough to answer (a customer's words
 * often rank the answering passage sixth or seventh behind passages sharing
 * its common words), few enough to weigh and to prompt with.
 */
export const ANSWER_K = 8

/** 'llm' when AI_BASE_URL and AI_CHAT_MODEL are both set, else 'extractive'. */
export function answerMode(): 'llm' | 'extractive' {
  const config = app.config.get<typeof aiConfig>('ai')
  return config.baseUrl && config.chatModel ? 'llm' : 'extractive'
}

/**
 * Searches the tenant's knowledge and answers from what it finds. The
 * search's transaction is over before the model is called.
 */
export async function answerQuestion(
  tenant: TenantContext,
  question: string,
  options: AnswerQuestionOptions = {}
) {
  // A follow-up is searched and weighed with the question before it and
  // what the customer told us they want; the reply stays in its own language.
  const conversation = options.conversation
    ? { ...options.conversation, remembered: rememberedPreferences(options.memory) }
    : options.memory
      ? { remembered: rememberedPreferences(options.memory) }
      : null
  const inContext = withContext(question, conversation)
  const hits = await retrieveForAnswer(tenant, [inContext, expandQuery(inContext)], {
    k: options.k ?? ANSWER_K,
    filters: options.filters,
  })
  const settings = {
    threshold: options.threshold,
    language: options.language ?? replyLanguage(question),
  }
  const contactMemory = options.memory ? memoryPrompt(options.memory) : options.contactMemory
  if (answerMode() === 'llm') {
    return answerWithModel(question, hits, {
      ...settings,
      contactMemory,
      persona: options.persona,
      customerName: knownName(options.memory),
      conversation: options.conversation,
      evidenceQuestion: inContext,
    })
  }
  return answerExtractively(inContext, hits, {
    ...settings,
    customerName: knownName(options.memory),
  })
}

/**
 * Searches once per distinct query and fuses the lists by reciprocal rank:
 * the customer's own words, and the same with the lexicon's synonyms (which
 * find "cancel" for "quit" but, alone, would drown a short question in
 * synonyms). Each hit keeps its best ranks; its score is the fused one.
 *
 * A third list re-ranks everything found by how rare the question's words
 * are among it (BM25 over the pool): the full-text rank counts every shared
 * word alike, so "court in America" ranks passages saying "insurer" and
 * "pay" above the one clause naming the courts of America.
 */
export async function retrieveForAnswer(
  tenant: TenantContext,
  queries: string[],
  options: { k: number; filters?: SearchFilters }
) {
  const distinct = [...new Set(queries.map((q) => q.trim()).filter(Boolean))]
  if (distinct.length === 0) return []
  const depth = Math.max(options.k, ANSWER_POOL)
  const lists: SearchHit[][] = []
  for (const query of distinct) {
    lists.push(await searchKnowledge(tenant, query, { ...options, k: depth }))
  }
  const pool = new Map<string, SearchHit>()
  for (const list of lists)
    for (const hit of list) if (!pool.has(hit.chunkId)) pool.set(hit.chunkId, hit)
  lists.push(rankByRarity(distinct[0], [...pool.values()]))

  const fused = new Map<string, SearchHit>()
  lists.forEach((list, l) => {
    const weight = l === lists.length - 1 ? RARITY_WEIGHT : 1
    list.forEach((hit, index) => {
      const known = fused.get(hit.chunkId)
      const score = weight / (RRF_K + index + 1)
      if (!known) fused.set(hit.chunkId, { ...hit, score })
      else {
        known.score += score
        known.lexicalRank = minRank(known.lexicalRank, hit.lexicalRank)
        known.vectorRank = minRank(known.vectorRank, hit.vectorRank)
      }
    })
  })
  return [...fused.values()].sort((a, b) => b.score - a.score).slice(0, options.k)
}

/**
 * Passages each query fetches for the pool the answer's passages are chosen
 * from: the most a search returns, so that a clause naming the question's
 * rare word ("the courts of America") is in the pool even when many passages
 * share its common words.
 */
const ANSWER_POOL = MAX_K
/**
 * The rarity list counts twice in the fusion: it alone weighs the
 * question's rare words above its common ones, which the two searches of
 * the pool count alike.
 */
const RARITY_WEIGHT = 2
/** BM25's usual constants (Robertson and Zaragoza, 2009). */
const BM25_K1 = 1.2
const BM25_B = 0.75

/**
 * The pool's passages that hold the question's words, best first by BM25:
 * a word few passages of the pool hold counts for more than one most hold.
 * A passage's headings and title count as its words.
 */
export function rankByRarity(question: string, pool: SearchHit[]) {
  const terms = contentTerms(question)
  if (terms.length === 0 || pool.length === 0) return []
  const docs = pool.map((hit) => {
    const stems = tokenize([hit.title, ...hit.headingPath, hit.text].join('\n'))
      .filter((t) => t.content)
      .map((t) => t.stem)
    const counts = new Map<string, number>()
    for (const stem of stems) counts.set(stem, (counts.get(stem) ?? 0) + 1)
    const distinctStems = new Set(stems)
    const tf = new Map(
      terms.map((term) => {
        const exact = counts.get(term) ?? 0
        return [term, exact > 0 ? exact : termMatch(term, distinctStems) >= 0.8 ? 1 : 0]
      })
    )
    return { hit, length: stems.length, tf }
  })
  const meanLength = docs.reduce((sum, d) => sum + d.length, 0) / docs.length || 1
  const idf = new Map(
    terms.map((term) => {
      const df = docs.filter((d) => (d.tf.get(term) ?? 0) > 0).length
      return [term, Math.log(1 + (docs.length - df + 0.5) / (df + 0.5))]
    })
  )
  return docs
    .map((d) => {
      let score = 0
      for (const term of terms) {
        const tf = d.tf.get(term) ?? 0
        if (tf === 0) continue
        const norm = BM25_K1 * (1 - BM25_B + (BM25_B * d.length) / meanLength)
        score += (idf.get(term) ?? 0) * ((tf * (BM25_K1 + 1)) / (tf + norm))
      }
      return { hit: d.hit, score }
    })
    .filter((d) => d.score > 0)
    .sort((a, b) => b.score - a.score)
    .map((d) => d.hit)
}

function minRank(a: number | null, b: number | null) {
  if (a === null) return b
  if (b === null) return a
  return Math.min(a, b)
}

/** What the customer said they are after (memory's preferences), for follow-ups. */
function rememberedPreferences(memory: ContactMemory | null | undefined) {
  return (memory?.facts ?? [])
    .filter((fact) => fact.kind === 'preference')
    .map((fact) => fact.value.trim())
    .filter(Boolean)
    .slice(0, 3)
}

/** The name the customer gave us, if memory has one (the first name fact). */
function knownName(memory: ContactMemory | null | undefined) {
  const name = memory?.facts.find((fact) => fact.kind === 'name')?.value.trim()
  return name ? name.slice(0, 60) : null
}
