import { foldText, tokenize } from '../text_toolkit.js'

/**
 * What kind of fact a question asks for, and whether a passage states one:
 * "how much" wants an amount, "how long" a duration, "what time" a time of
 * day, "how many" a count, "when is it available" a date. A passage that
 * shares the question's words but holds no fact of the asked kind is
 * probably about the topic, not the answer; one that holds it is likely
 * the answer. Yes/no questions are answered by any statement.
 */
export type AnswerType = 'amount' | 'duration' | 'time' | 'date' | 'count' | 'yesno' | null

const QUESTION_TYPES: Array<[Exclude<AnswerType, null>, RegExp]> = [
  [
    'duration',
    /\bhow (long|soon)\b|\bhow many (days|weeks|months|years|hours|minutes)\b|\bnotice\b|(كم|خلال كم|بعد كم) (يوم|ساعه|شهر|اسبوع|سنه)|مده/,
  ],
  [
    'amount',
    /\bhow much\b|\b(cost|costs|price|prices|fee|fees|charge|charged|rent|premium|excess)\b|(كم|بكم) (سعر|رسوم|تكلفه|ثمن|الايجار)|(سعر|رسوم|تكلفه)/,
  ],
  [
    'time',
    /\bwhat time\b|\bwhen does\b.*\b(open|close|shut)|\b(opening|closing) (time|hours)\b|متي (يفتح|يغلق|يسكر)|مواعيد|الساعه كم/,
  ],
  ['date', /\b(from )?when is\b.*\bavailable\b|\bwhat date\b|من متي/],
  ['count', /\bhow many\b|كم (ضيف|شخص|عدد|مره|موقف)|عدد/],
  ['yesno', /^(is|are|can|could|do|does|did|will|would|am|may|should|shall|have|has)\b|^هل\s/],
]

export function questionType(question: string): AnswerType {
  const folded = foldText(question).trim()
  for (const [type, pattern] of QUESTION_TYPES) if (pattern.test(folded)) return type
  return null
}

const NUMBER =
  /\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|sixty|ninety|hundred)\b|(واحد|اثنين|ضيفين|ثلاث|اربع|خمس|ست|سبع|ثماني|تسع|عشر|ثلاثين|ستين|تسعين)/
const PASSAGE_TYPES: Record<Exclude<AnswerType, null | 'yesno'>, RegExp> = {
  amount:
    /\b(aed|usd|dhs?|dirhams?|dollars?|free|no charge)\b|\d+\s*(aed|درهم)|درهم|مجان|\(aed\)|\$\d/,
  duration:
    /\b(\d+|one|two|three|four|five|six|seven|ten|twelve|fourteen|fifteen|twenty|thirty|sixty|ninety)[- ](business |working |calendar )?(days?|weeks?|months?|years?|hours?|minutes?)\b|(يوم|ايام|اسبوع|اسابيع|شهر|اشهر|سنه|ساع|دقيق)/,
  time: /\b\d{1,2}(:\d{2})?\s*(am|pm)\b|\b\d{1,2}:\d{2}\b|صباح|مساء|around the clock|24 hours/,
  date: /\b\d{4}-\d{2}-\d{2}\b|\b(january|february|march|april|may|june|july|august|september|october|november|december)\b|\d{1,2}\/\d{1,2}/,
  count: NUMBER,
}

/** Whether a passage (with the words framing it) states a fact of the asked kind. */
export function statesType(type: AnswerType, passage: string) {
  if (type === null || type === 'yesno') return true
  return PASSAGE_TYPES[type].test(foldText(passage))
}

/**
 * Words that only say which kind of fact is asked ("how long", "how much",
 * "what time"): a passage stating such a fact has answered them, though it
 * never uses them.
 */
const CUES: Record<Exclude<AnswerType, null | 'yesno'>, string> = {
  duration: 'long soon quickly far advance time deadline مده',
  amount: 'much cost price fee charge pay extra expensive cheap سعر رسوم تكلفه',
  time: 'time open opening close closing when مواعيد',
  date: 'when date',
  count: 'many number عدد',
}
const CUE_STEMS = new Map(
  Object.entries(CUES).map(([type, words]) => [type, new Set(tokenize(words).map((t) => t.stem))])
)

/** The question's words a passage stating the asked kind of fact has answered. */
export function typeCues(type: AnswerType): Set<string> {
  return (type && CUE_STEMS.get(type)) || new Set()
}
