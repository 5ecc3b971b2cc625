import { contentTerms, foldText } from '../text_toolkit.js'

/**
 * The conversation a question comes from: the customer's previous question
 * and the assistant's answer to it, and what we remember about the customer.
 * A follow-up ("and the price?", "what about the villa", "وكم الإيجار؟") is
 * read with them; a question that stands on its own is not.
 */
export interface ConversationContext {
  previousQuestion?: string | null
  previousAnswer?: string | null
  /** Memory facts the customer stated (preferences), one per line. */
  remembered?: string[]
}

const OPENERS =
  /^(and|also|what about|how about|and what about|what of|plus|ok and|then)\b|^(و|طيب|طب|وايضا|وماذا عن|وشو|وكم|وهل|وما|وش)/
const REFERENCES =
  /\b(it|its|that|this|these|those|they|them|one|ones|same|there)\b|(هذا|هذه|ذلك|تلك|هو|هي|نفس|فيه|فيها|عليه|عليها)/

/** Whether a message leans on what came before to be understood. */
export function isFollowUp(question: string) {
  const folded = foldText(question).trim()
  const terms = contentTerms(question)
  if (terms.length <= 1) return true
  return terms.length <= 4 && (OPENERS.test(folded) || REFERENCES.test(folded))
}

/**
 * The words a follow-up is searched and weighed with: the question first
 * (its own words decide the kind of fact asked for), then the earlier
 * question and remembered preferences. A question that stands alone is
 * returned as it is.
 */
export function withContext(question: string, context: ConversationContext | null | undefined) {
  if (!context || !isFollowUp(question)) return question
  const earlier = [context.previousQuestion, ...(context.remembered ?? [])]
    .map((text) => text?.trim())
    .filter(Boolean)
  return earlier.length ? `${question}\n${earlier.join('\n')}` : question
}
