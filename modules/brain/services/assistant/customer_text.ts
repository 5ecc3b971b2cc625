import { foldText } from '../text_toolkit.js'
import type { Citation } from '../answers/types.js'
import type { ReplyLanguage } from '../answers/replies.js'

/*
| What the assistant reads in a customer's message (a request for a person)
| and what it writes back besides answers (the handoff notice, the sources
| footer). Kept apart from the flow so each rule is testable on its own.
*/

export type HandoffReason =
  | 'customer_request'
  | 'handoff_word'
  | 'low_confidence'
  | 'not_covered'
  | 'no_knowledge'
  | 'repeated_failure'
  | 'plan_limit'
  | 'lookup_failed'

/** The toolkit's folded form (case, Arabic letter forms), punctuation as spaces, single spaces. */
function fold(text: string) {
  return ` ${foldText(text)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `
}

/**
 * Asking for a person in so many words. English: "speak/talk to a
 * person/someone/an agent", "I want/need a human"; Arabic: أريد/ممكن/أبغى
 * ... موظف/شخص/أحد, أتحدث/أكلم ... موظف/شخص/أحد. Matched on folded text
 * (the Arabic written in the toolkit's folded forms).
 */
const PERSON_REQUESTS = [
  /\b(speak|talk|chat)\s+(to|with)\s+(a|an|the|some|your|real)?\s*(person|someone|somebody|human|agent|staff|representative|manager|team|people)\b/,
  /\b(want|need|like)\s+(a|an|to|some)?\s*(real\s+)?(person|human|agent|representative)\b/,
  / (اريد|ابغي|ابي|بدي|ممكن|اود|عايز|اطلب) (\S+ ){0,3}?(ال)?(موظف|شخص|انسان|احد|ممثل)/,
  / (اتحدث|اكلم|التحدث|الكلام|تحدث|كلم|اتكلم|التكلم) (\S+ ){0,3}?(ال)?(موظف|شخص|انسان|احد|ممثل)/,
]

/**
 * Why the customer's own words hand the conversation over, or null: an
 * explicit request for a person, or one of the channel's handoff words
 * (whole words or phrases, any case, Arabic letter forms unified).
 */
export function customerHandoff(text: string, handoffWords: string[]): HandoffReason | null {
  const folded = fold(text)
  if (PERSON_REQUESTS.some((pattern) => pattern.test(folded))) return 'customer_request'
  for (const word of handoffWords) {
    const phrase = fold(word).trim()
    if (phrase && folded.includes(` ${phrase} `)) return 'handoff_word'
  }
  return null
}

/** What the customer reads when a person takes over, by why. */
const HANDOFF_TEXT: Record<
  ReplyLanguage,
  Record<'request' | 'unsure' | 'failure' | 'handover' | 'lookup', string>
> = {
  english: {
    request:
      'Of course. I have asked a member of our team to take over; they will reply here shortly.',
    unsure:
      "I'm not sure I can answer that correctly from our documents, so I have passed your question to a member of our team. They will reply here shortly.",
    failure:
      "I'm having trouble answering right now, so I have passed your conversation to a member of our team. They will reply here shortly.",
    // The plan's monthly allowance is the business's affair, not the customer's.
    handover: 'I have passed your message to a member of our team. They will reply here shortly.',
    lookup:
      "I couldn't look that up just now, so I have passed your question to a member of our team. They will reply here shortly.",
  },
  arabic: {
    request: 'بالتأكيد. طلبت من أحد أعضاء فريقنا متابعة المحادثة، وسيرد عليك هنا قريباً.',
    unsure:
      'لست متأكداً من أنني أستطيع الإجابة عن ذلك بدقة من مستنداتنا، لذا أحلت سؤالك إلى أحد أعضاء فريقنا. سيرد عليك هنا قريباً.',
    failure:
      'أواجه صعوبة في الإجابة الآن، لذا أحلت محادثتك إلى أحد أعضاء فريقنا. سيرد عليك هنا قريباً.',
    handover: 'أحلت رسالتك إلى أحد أعضاء فريقنا. سيرد عليك هنا قريباً.',
    lookup:
      'لم أتمكن من الاطلاع على ذلك الآن، لذا أحلت سؤالك إلى أحد أعضاء فريقنا. سيرد عليك هنا قريباً.',
  },
}

export function handoffText(language: ReplyLanguage, reason: HandoffReason) {
  const kind =
    reason === 'customer_request' || reason === 'handoff_word'
      ? 'request'
      : reason === 'repeated_failure'
        ? 'failure'
        : reason === 'plan_limit'
          ? 'handover'
          : reason === 'lookup_failed'
            ? 'lookup'
            : 'unsure'
  return HANDOFF_TEXT[language][kind]
}

/** Longest sources footer line: a chat message, not a bibliography. */
const MAX_SOURCE_CHARS = 120

/** Citation markers in an answer's text: [2], [1][3], [1, 3]. */
const MARKERS = /\s*\[\d+(?:\s*,\s*\d+)*\]/g

/** How the assistant introduces itself in its first answer of a conversation. */
const INTRODUCTION: Record<ReplyLanguage, (name: string) => string> = {
  english: (name) => `${name} here.`,
  arabic: (name) => `معك ${name}.`,
}

/**
 * The answer as the customer reads it: introduced by the assistant's name
 * in its first answer of a conversation, then the text. Where the channel
 * asks for sources, the [n] markers stay and the numbered sources follow
 * by title (with the page, and the link when the source is a public page);
 * otherwise the markers go. Quotes and confidence are for agents only.
 */
export function customerText(
  language: ReplyLanguage,
  text: string,
  citations: Citation[],
  options: { citeSources?: boolean; introduceAs?: string | null } = {}
) {
  const name = options.introduceAs?.trim()
  const opening = name ? `${INTRODUCTION[language](name)} ` : ''
  if (!options.citeSources || !citations.length) {
    return `${opening}${text.replace(MARKERS, '').trim()}`
  }
  const label = language === 'arabic' ? 'المصادر:' : 'Sources:'
  const page = language === 'arabic' ? 'صفحة' : 'p.'
  const lines = citations.map((citation) => {
    const where = [citation.title, citation.headingPath.at(-1)].filter(Boolean).join(' › ')
    const clipped =
      where.length > MAX_SOURCE_CHARS ? `${where.slice(0, MAX_SOURCE_CHARS - 1)}…` : where
    const parts = [`[${citation.n}] ${clipped}`]
    if (citation.page !== null) parts.push(`${page} ${citation.page}`)
    if (citation.url && /^https?:\/\//.test(citation.url)) parts.push(citation.url)
    return parts.join(', ')
  })
  return `${opening}${text}\n\n${label}\n${lines.join('\n')}`
}
