import type { SourceLanguage } from '../conversion.js'
import type { SearchHit } from '../search.js'
import { messageLanguage } from '../text_toolkit.js'
import type { Answer, Citation } from './types.js'

export type ReplyLanguage = 'english' | 'arabic'

/**
 * The customer is answered in the language they wrote in, unless the caller
 * (a channel configured for one language) says which.
 */
export function replyLanguage(question: string, language?: SourceLanguage): ReplyLanguage {
  if (language === 'english' || language === 'arabic') return language
  return messageLanguage(question)
}

/**
 * What the customer reads when the knowledge does not answer the question:
 * no guess, and a person will follow up (the answer carries handoff: true).
 */
export const NOT_COVERED_REPLY: Record<ReplyLanguage, string> = {
  english:
    "I'm sorry, our documents don't cover this question, so I won't guess. A member of our team will get back to you.",
  arabic: 'عذراً، لا تتناول مستنداتنا هذا السؤال، ولن أجيب بالتخمين. سيتواصل معك أحد أعضاء فريقنا.',
}

/** An answer addressed to the customer by the name they gave us, when we know it. */
export function addressed(text: string, language: ReplyLanguage, customerName?: string | null) {
  const name = customerName?.trim()
  if (!name) return text
  return language === 'arabic' ? `أهلاً ${name}. ${text}` : `Hi ${name}. ${text}`
}

export function refusal(
  language: ReplyLanguage,
  reason: NonNullable<Answer['reason']>,
  mode: Answer['mode'],
  confidence = 0
): Answer {
  return {
    text: NOT_COVERED_REPLY[language],
    citations: [],
    confidence: clamp01(confidence),
    handoff: true,
    mode,
    reason,
  }
}

/** A citation for a hit, numbered as the answer shows it. */
export function citationFor(n: number, hit: SearchHit, quote: string): Citation {
  return {
    n,
    chunkId: hit.chunkId,
    sourceId: hit.sourceId,
    title: hit.title,
    headingPath: hit.headingPath,
    page: hit.page,
    url: hit.url,
    quote,
  }
}

export function clamp01(value: number) {
  if (!Number.isFinite(value)) return 0
  return Math.min(1, Math.max(0, value))
}

/** Confidences are reported to two decimals: more would be false precision. */
export function roundConfidence(value: number) {
  return Math.round(clamp01(value) * 100) / 100
}
