import { foldText, termMatch, tokenize, withoutArabicPreposition } from '../text_toolkit.js'

/**
 * What kind of fact a question asks for, and whether a passage states one:
 * "how much" wants an amount, "how long" a duration, "what time" a time of
 * day, "how many" a count, "when is it available" a date. A passage that
 * shares the question's words but holds no fact of the asked kind is
 * probably about the topic, not the answer; one that holds it is likely
 * the answer. Yes/no questions are answered by any statement.
 */
export type AnswerType =
  | 'amount'
  | 'duration'
  | 'time'
  | 'date'
  | 'count'
  | 'age'
  | 'contact'
  | 'address'
  | 'place'
  | 'yesno'
  | null

type FactType = Exclude<AnswerType, null | 'yesno'>

/** Questions asking for a kind of fact, in the order they are tried. */
const QUESTION_TYPES: Array<[FactType, RegExp]> = [
  // "email address" asks for a way to write, not a street.
  [
    'contact',
    /\b(what|which)( phone| telephone| contact)? number\b|\b(phone|telephone|helpline|hotline|whatsapp|e-?mail)\b|\bhow (do|can) (i|we) (call|ring|phone|contact|reach|email)\b|\b(call|ring|phone)\b.*\?|رقم (الهاتف|التلفون|الجوال|التواصل|الطوارئ)|(ايميل|بريد الكتروني|اتصل)/,
  ],
  [
    'address',
    /\b(street|postal|office|home) address\b|\baddress of\b|\bwhere (is|are) (your|the)\b.*\b(office|offices|branch|clinic|club|building)\b|عنوان/,
  ],
  // "Which countries …" wants their names, not a clause mentioning a country.
  [
    'place',
    /\b(which|what) (countries|country|cities|city|areas|emirates|regions|places|locations|neighbou?rhoods|communities|districts)\b|(اي|ما هي|ما|وش|ايش|شو) (الدول|دول|المدن|مدن|المناطق|مناطق|البلدان)/,
  ],
  [
    'age',
    /\b(minimum|maximum|min|max) age\b|\b\d+[- ](years?|yrs?)[- ]old\b|\bage (limit|restriction|requirement)s?\b|\bhow old\b|\bage\b|(?<![\u0621-\u064A])(عمر|عمره|عمرها|عمري|سن) /,
  ],
  [
    'duration',
    /\bhow (long|soon)\b|\bhow many (days|weeks|months|years|hours|minutes)\b|\bnotice\b|\bby when\b|\btime limit\b|\bdeadline\b|\bwhen (must|should) (i|we)\b|\bwhen do (i|we) have to\b|(متي) (لازم|يجب|علي)|اخر موعد|موعد نهائي|مهله|\bhow far (in )?(advance|ahead)\b|\bin advance\b|(كم|خلال كم|بعد كم) (يوم|ساعه|شهر|اسبوع|سنه)|مده/,
  ],
  [
    'amount',
    /\bhow much\b|(?<![\u0621-\u064A])كم (ادفع|تدفع|يدفع|ندفع|يكلف|تكلف|يكلفني|بيكلف)(?![\u0621-\u064A])|\bwhat (do|does|did|will|would|should) (i|we|you|they|it|he|she) (have to |need to )?(pay|cost|charge)\b|\b(cost|costs|price|prices|fee|fees|charge|charged|rent|premium|excess|cap|ceiling|maximum)\b|\bpay extra\b|(كم|بكم) (سعر|رسوم|تكلفه|ثمن|الايجار|قسط)|(سعر|رسوم|تكلفه)|(?<![\u0621-\u064A])(قديش|قديه|بقديش|بكام|بچم|بكم)(?![\u0621-\u064A])/,
  ],
  [
    'time',
    /\bwhat time\b|\bwhen does\b.*\b(open|close|shut)|\b(opening|closing) (time|hours)\b|(متي|امتي|ايمتي) (يفتح|يغلق|يسكر|يقفل|تفتحون|تسكرون)|مواعيد|الساعه كم/,
  ],
  ['date', /\b(from )?when is\b.*\bavailable\b|\bwhat date\b|من متي/],
  ['count', /\bhow many\b|كم (ضيف|شخص|عدد|مره|موقف)|عدد/],
]

const AUXILIARY = '(is|are|can|could|do|does|did|will|would|am|may|should|shall|have|has)'
/**
 * A yes/no question opens with its auxiliary, or with a condition first:
 * "If I cancel after two weeks, do I get money back?"
 */
const YES_NO = new RegExp(
  `^${AUXILIARY}\\b|^(if|when|once|after|before|while)\\b[^,?]*,\\s*${AUXILIARY}\\b|^هل\\s`
)

/**
 * The sentence that asks, when a message says its circumstances first
 * ("It's been 12 days since my documents arrived. Do I get the premium
 * back?"): the one ending in a question mark. Without one, the whole text.
 */
function askingSentence(question: string) {
  const folded = foldText(question).trim()
  const sentences = folded.split(/(?<=[.!?\u061F])\s+/)
  return sentences.find((sentence) => /[?\u061F]$/.test(sentence)) ?? folded
}

/**
 * The kind of fact a question asks for. A yes/no question is 'yesno'
 * whatever it mentions ("Can I spread the premium over monthly payments?"
 * is answered by "We do not offer monthly payments"); askedFact says what
 * fact a yes/no question is about, if any.
 */
export function questionType(question: string): AnswerType {
  const asking = askingSentence(question)
  // "Is there a joining fee, and how much is it?" asks the amount.
  if (YES_NO.test(asking) && !THEN_HOW_MUCH.test(asking)) return 'yesno'
  return askedFact(question)
}

/** A yes/no question going on to ask for a fact: ", and how much is it?" */
const THEN_HOW_MUCH = /,\s*(and|but)\s+(how (much|many|long)|what does it cost)\b/

/** The kind of fact a question mentions ("Do I pay extra for classes?": an amount), yes/no or not. */
export function askedFact(question: string): FactType | null {
  const asking = askingSentence(question)
  for (const [type, pattern] of QUESTION_TYPES) if (pattern.test(asking)) return type
  return null
}

/** The words after "how many" or "how much": the thing the question asks about. */
const ASKED_THING = /\bhow (?:many|much)\s+((?:[a-z0-9'-]+\s*){1,4})/

/**
 * What "how many sick days a year" counts or "how much notice" measures:
 * the content words right after the question words, up to the first word
 * that is not one ("how many guests can I bring": guests; "how much is
 * it": nothing). English only: an Arabic question runs on from كم into
 * its verb with no small word to end the phrase.
 */
export function askedThing(question: string): string[] {
  const match = askingSentence(question).match(ASKED_THING)
  if (!match) return []
  const stems: string[] = []
  for (const word of match[1].trim().split(/\s+/)) {
    const [token] = tokenize(word)
    if (!token?.content) break
    stems.push(token.stem)
  }
  return stems
}

/** A figure of the customer's own and what kind of fact it is ("12 days", "my 14 year old"). */
const FIGURES: Array<[FactType, RegExp]> = [
  [
    'age',
    /\b(\d+|[a-z]+)[- ](years?|yrs?)[- ]old\b|(?<![\u0621-\u064A])عمر\S{0,2}\s+(\d+)(\s*(سنه|سنين|سنوات|عام|اعوام))?/g,
  ],
  [
    'duration',
    /\b(\d+|[a-z]+)[- ](business |working |calendar )?(days?|weeks?|months?|years?|hours?)\b|(\d+)\s*(يوم|ايام|اسبوع|اسابيع|شهر|اشهر|سنه|سنوات|ساعه|ساعات)/g,
  ],
  ['amount', /\b(aed|dhs?|dirhams?)\s*(\d+)|(\d+)\s*(aed|dhs?|dirhams?|درهم)/g],
]

/**
 * The words of the figures a question states (its number and unit: "12
 * days", "two weeks") with their kind: a customer compares their own case
 * with the rule ("it's been 12 days" against "within 14 days"), so a
 * passage stating a fact of that kind answers the figure without repeating
 * it. The first kind found wins ("14 year old" is an age). A figure needs
 * a number: "a few days" is none.
 */
export function questionFigures(question: string): Map<string, FactType> {
  const figures = new Map<string, FactType>()
  const folded = foldText(question)
  for (const [type, pattern] of FIGURES) {
    for (const match of folded.matchAll(pattern)) {
      const tokens = tokenize(match[0]).filter((t) => t.content)
      if (!tokens.some((t) => /^\d/.test(t.stem))) continue
      for (const { stem } of tokens) if (!figures.has(stem)) figures.set(stem, type)
    }
  }
  return figures
}

const NUMBER =
  /\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|sixty|ninety|hundred)\b|(واحد|اثنين|ضيفين|ثلاث|اربع|خمس|ست|سبع|ثماني|تسع|عشر|ثلاثين|ستين|تسعين)/
/**
 * An Arabic duration: a number (digits or words) before a unit, or a unit
 * in the dual (يومين, أسبوعين, شهرين, سنتين) which is its own number. A unit
 * alone ("في الشهر", per month) is a rate, not a duration.
 */
const ARABIC_DURATION =
  /(\d+|واحد|اثن|ثلاث|اربع|خمس|ست|سبع|ثماني|ثمان|تسع|عشر)\S*\s+(يوم|ايام|اسبوع|اسابيع|شهر|اشهر|سنه|سنوات|سنين|ساع|دقيق)|(يومين|اسبوعين|شهرين|سنتين|ساعتين|دقيقتين)/
const PASSAGE_TYPES: Record<Exclude<FactType, 'place'>, RegExp> = {
  amount:
    /\b(aed|usd|dhs?|dirhams?|dollars?|free|no charge|in full|full refund)\b|كامل المبلغ|المبلغ كامل|\d+\s*(aed|درهم)|درهم|مجان|\(aed\)|\$\d|\d+(\.\d+)?\s*%|\bper ?cent\b|بالمئه|بالمائه/,
  duration: new RegExp(
    `${/\b(\d+|one|two|three|four|five|six|seven|ten|twelve|fourteen|fifteen|twenty|thirty|sixty|ninety)[- ](business |working |calendar |clear )?(days?|weeks?|months?|years?|hours?|minutes?)\b|\bsame day\b/.source}|${ARABIC_DURATION.source}`
  ),
  time: /\b\d{1,2}(:\d{2})?\s*(am|pm)\b|\b\d{1,2}:\d{2}\b|صباح|مساء|around the clock|24 hours/,
  date: /\b\d{4}-\d{2}-\d{2}\b|\b(january|february|march|april|may|june|july|august|september|october|november|december)\b|\d{1,2}\/\d{1,2}/,
  count: NUMBER,
  age: /\b\d+ (or|and) (older|over|above|younger|under)\b|\b(under|over|aged?|above) \d+\b|\b\d+ years? old\b|\b(adults?|minors?)\b|(عمر|سن|دون|فوق|تحت) \d+|\d+ (عام|سنه)/,
  contact: /\b\d{3}[\d ]{4,}\d\b|\+\d{3}|[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+/,
  address:
    /\b(street|road|avenue|boulevard|building|tower|floor|suite|p\.? ?o\.? box)\b|\b\d+\s+[a-z]+\s+(street|road|st)\b|شارع|مبني|الطابق|ص\.ب/,
}

/** What follows a number that measures time or money rather than counting things. */
const MEASURE_AFTER =
  /^\S*\s*((business|working|calendar|clear) )?(days?|weeks?|months?|years?|hours?|minutes?|am|pm|%|per ?cent|aed|dhs?|dirhams?)\b|^\S*\s*(يوم|ايام|اسبوع|اسابيع|شهر|اشهر|سنه|سنوات|سنين|ساع|دقيق|درهم|صباح|مساء|بالمئه|بالمائه)|^\S*:\d/
const MEASURE_BEFORE = /\b(aed|dhs?|usd)\s*$|\$$/

/**
 * Whether a passage counts something: a number that is not a duration, a
 * time, an amount or a share ("up to two guests", "three booked classes";
 * not "24 hours ahead" or "AED 75"). "How many sessions" is not answered by
 * how many hours ahead they are booked.
 */
function statesCount(folded: string) {
  const number = new RegExp(NUMBER.source, 'g')
  for (const match of folded.matchAll(number)) {
    const at = match.index ?? 0
    const before = folded.slice(0, at)
    // The middle of a number already looked at ("24": its "4").
    if (/[\d.,]$/.test(before)) continue
    const after = folded.slice(at)
    if (!MEASURE_AFTER.test(after) && !MEASURE_BEFORE.test(before)) return true
  }
  return false
}

/** Whether a passage (with the words framing it) states a fact of the asked kind. */
export function statesType(type: AnswerType, passage: string) {
  if (type === null || type === 'yesno') return true
  if (type === 'place') return namesPlaces(passage)
  if (type === 'count') return statesCount(foldText(passage))
  return PASSAGE_TYPES[type].test(foldText(passage))
}

/** A capitalised word inside a sentence: a name (Qatar, the Kingdom of Bahrain). */
const INNER_NAME = /(?<=[\p{L},;]\s+)\p{Lu}\p{Ll}+/gu

/**
 * Whether a passage names places: two names or more inside its sentences.
 * Arabic has no capitals, so an Arabic passage is not judged.
 */
function namesPlaces(passage: string) {
  if (/\p{Script=Arabic}/u.test(passage)) return true
  return (passage.match(INNER_NAME)?.length ?? 0) >= 2
}

/**
 * Words that only say which kind of fact is asked ("how long", "how much",
 * "what time"): a passage stating such a fact has answered them, though it
 * never uses them.
 */
const CUES: Record<FactType, string> = {
  duration: 'long soon quickly far advance ahead time deadline مده متى موعد',
  amount:
    'much cost price fee charge pay extra expensive cheap cap ceiling maximum سعر رسوم تكلفه الحد الاقصى',
  age: 'age old year minimum maximum عمر سن الحد الادنى الاقصى',
  contact: 'number call ring phone contact reach email helpline hotline رقم اتصل',
  address: 'address street where located عنوان',
  place: 'country countries city cities area region place location دول مدن مناطق',
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

/**
 * Nouns naming a price ("fee", "premium", سعر): a question says what it
 * wants the price of around them ("the annual membership fee", "the
 * premium for a psychiatrist", رسوم تصريح الضيف).
 */
const PRICE_NOUNS = new Set(
  tokenize('fee fees price cost charge rent premium excess rate سعر رسوم تكلفه ثمن قسط ايجار').map(
    (t) => t.stem
  )
)
/** Words that follow a price noun to say what it is of: "fee for", "premium of". */
const OF_WORDS = new Set(['of', 'for', 'to'])
/** "How much is the …", "how much does a …": the words before the thing asked about. */
const HOW_MUCH_LEAD = new Set(
  tokenize('is are does do did will would should for to the a an my your our their').map(
    (t) => t.stem
  )
)
/**
 * Words that say how many or which one, not what: "a single session", "a
 * new one", "each visit". They are no part of what a price is of.
 */
const NOT_THE_THING = new Set(
  tokenize('1 single new each extra additional total').map((t) => t.stem)
)
/** Words that end the thing as a small word would: "بسبب السفر" says why, not what. */
const THING_ENDS = new Set(tokenize('بسبب لسبب').map((t) => t.stem))
/** Words of the thing taken at most on either side of a price noun. */
const THING_WORDS = 3

/**
 * What a question asks the amount or count of, as stems, and the noun it
 * is about: "How much is the annual membership fee?" (annual, membership:
 * membership), "What is the annual premium for a psychiatrist?" (annual,
 * psychiatrist: psychiatrist), "How much does a one-week pass cost?"
 * (week, pass: pass), "كم سعر الاشتراك السنوي" (اشتراك, سنوي: اشتراك),
 * "How many free personal training sessions" (sessions). The price nouns
 * themselves are not part of it: a passage stating an amount has answered
 * them. Null when the question does not say ("how much is it?").
 */
export function factSubject(question: string, type: AnswerType): FactSubject | null {
  // What is counted is its last word ("free personal training sessions":
  // sessions); "how many times" asks how often, which "once" answers.
  if (type === 'count') {
    const head = askedThing(question).at(-1)
    return head && head !== 'time' ? { head, words: [head] } : null
  }
  if (type !== 'amount') return null
  const tokens = tokenize(askingSentence(question))
  const thing = new Set<string>()
  // The noun a phrase is about: the last word of an English one ("annual
  // membership"), the first of an Arabic one (الاشتراك السنوي).
  let head: string | null = null
  const take = (from: number, step: 1 | -1) => {
    const taken: string[] = []
    for (let i = from, n = 0; i >= 0 && i < tokens.length && n < THING_WORDS; i += step, n++) {
      const token = tokens[i]
      if (!token.content || PRICE_NOUNS.has(token.stem) || THING_ENDS.has(token.stem)) break
      if (NOT_THE_THING.has(token.stem)) continue
      const stem = withoutArabicPreposition(token.stem)
      thing.add(stem)
      taken.push(stem)
    }
    if (taken.length === 0) return
    const arabic = /[\u0621-\u064A]/.test(taken[0])
    // Taken backwards, the phrase's last word comes first.
    const phraseHead = step === -1 || arabic ? taken[0] : taken.at(-1)!
    // What follows "of" or "for" is what a price is of ("the annual premium for a psychiatrist").
    if (step === 1 || head === null) head = phraseHead
  }
  tokens.forEach((token, i) => {
    if (PRICE_NOUNS.has(token.stem)) {
      // Arabic puts the thing after its price noun (رسوم إدارية), what comes before is a verb.
      const arabic = /[\u0621-\u064A]/.test(token.stem)
      if (!arabic) take(i - 1, -1)
      let after = i + 1
      if (tokens[after] && OF_WORDS.has(tokens[after].stem)) {
        after++
        while (tokens[after] && !tokens[after].content && HOW_MUCH_LEAD.has(tokens[after].stem))
          after++
      }
      // Arabic runs on from the price noun (سعر الاشتراك السنوي); English needs "of" or "for".
      if (after > i + 1 || arabic) take(after, 1)
    }
    // "How much is the annual membership fee", بكم تجميد العضوية.
    const howMuch = (token.stem === 'much' && tokens[i - 1]?.stem === 'how') || token.stem === 'بكم'
    if (howMuch) {
      let after = i + 1
      while (tokens[after] && !tokens[after].content && HOW_MUCH_LEAD.has(tokens[after].stem))
        after++
      take(after, 1)
    }
  })
  return head ? { head, words: [...thing] } : null
}

/** What an amount or count is asked of: the noun it is about, and every word of its phrase. */
export interface FactSubject {
  head: string
  words: string[]
}

/** An amount a thing can cost: not "a full refund" or "charged in full", which say how much of it. */
const PRICE =
  /\b(aed|usd|dhs?|dirhams?|dollars?|free|no charge)\b|\d+\s*(aed|درهم)|درهم|مجان|\(aed\)|\$\d|\d+(\.\d+)?\s*%|\bper ?cent\b|بالمئه|بالمائه/
/** A table row as the converter writes it: "Field: value; Field: value". */
const RECORD = /^[^:;]{1,40}: [^;]*; [^:;]{1,40}: /
/** Where a sentence's clauses part: an amount belongs to the clause it is stated in. */
const CLAUSE_BREAK = /[,;:\u060C\u061B]\s+|\s[-\u2013\u2014]\s/

/**
 * Whether a passage states a fact of the asked kind about the thing asked
 * about: in one of its clauses, which holds the noun the thing is about,
 * and whose words with those framing the passage (its table header or
 * lead-in, its headings and document title) hold every word of the thing.
 * "Annual memberships can only be cancelled in the first 14 days, with a
 * full refund, or …, in which case we refund the unused months less a fee
 * of AED 250" states no annual membership fee: its fee is in a clause
 * about a refund. "A replacement card costs AED 50" under "Joining and
 * your membership card" states no joining fee.
 */
export function statesFactOf(
  type: AnswerType,
  passage: { text: string; context: string; frame: string },
  subject: FactSubject
): boolean {
  const { text, context, frame } = passage
  const framing = tokenize(`${context} ${frame}`).map((t) => t.stem)
  const own = tokenize(context).map((t) => t.stem)
  // A table row ("Plan: Premier; Specialty: Neurosurgery; …") is one record, not clauses.
  const clauses = RECORD.test(text) ? [text] : text.split(CLAUSE_BREAK)
  return clauses.some((clause) => {
    const said = `${clause} ${context}`
    const stated = type === 'amount' ? PRICE.test(foldText(said)) : statesType(type, said)
    if (!stated) return false
    // The noun the fact is about in the clause itself (or its table header),
    // its other words there or in the headings and title over it.
    const words = tokenize(clause).map((t) => t.stem)
    if (termMatch(subject.head, new Set([...words, ...own])) < 0.7) return false
    const stems = new Set([...words, ...framing])
    return subject.words.every((stem) => termMatch(stem, stems) >= 0.7)
  })
}

/** Words between a yes/no question's auxiliary and the noun it is about. */
const DETERMINERS = new Set(
  tokenize('my the a an your our their his her this that these those any some').map((t) => t.stem)
)
/** Verbs after which a yes/no question names what it asks exists: "do you have a sauna". */
const HAVING = new Set(tokenize('have has offer sell run provide').map((t) => t.stem))
/** Everyday verbs, never a noun of a subject: "Can my guest use the pool …" is about the guest. */
const PHRASE_ENDS = new Set(tokenize('use get pay bring enter stay swim work').map((t) => t.stem))
/**
 * The business a customer asks, named: "will the insurer pay?", "does the
 * club have …" are "will you …", and its documents say "we".
 */
const THE_BUSINESS = new Set(
  tokenize('insurer insurance company club gym agency broker business').map((t) => t.stem)
)
/** Words of an age, not of what is aged. */
const AGE_WORDS = new Set(tokenize('year years old aged').map((t) => t.stem))
/** Words of a noun phrase taken at most. */
const PHRASE_WORDS = 4

/**
 * What an English yes/no question is about: the first words of its
 * subject ("Does my guest need …": guest; "Can my 14 year old son work
 * out …": son, exercise), and what it asks exists ("Do your lockers have
 * electronic code locks?": electronic, code, lock; "Is there a sauna?").
 * A pronoun ("Can I …", "Do you …") is no subject. Arabic is not read this
 * way: it has no auxiliary to find them by.
 */
export function yesNoThings(question: string): { subject: string[]; object: string[] } {
  // From the auxiliary on: "If the patient sues, will that claim be covered?"
  const asking = askingSentence(question).replace(
    /^(if|when|once|after|before|while)\b[^,?]*,\s*/,
    ''
  )
  if (!new RegExp(`^${AUXILIARY}\\b`).test(asking)) return { subject: [], object: [] }
  const tokens = tokenize(asking)
  const phrase = (from: number) => {
    let i = from
    while (tokens[i] && DETERMINERS.has(tokens[i].stem)) i++
    const words: string[] = []
    for (; tokens[i] && words.length < PHRASE_WORDS; i++) {
      if (!tokens[i].content || HAVING.has(tokens[i].stem) || PHRASE_ENDS.has(tokens[i].stem)) break
      // A number says how many or how old, not what ("my 14 year old son").
      if (!/^\d/.test(tokens[i].stem) && !AGE_WORDS.has(tokens[i].stem)) words.push(tokens[i].stem)
    }
    return words
  }
  // Its first two words: the verb may follow ("Does the policy respond?",
  // "Can young children use …"), and there is no telling it from a noun.
  const subject = phrase(1)
    .slice(0, 2)
    .filter((stem) => !THE_BUSINESS.has(stem))
  let object: string[] = []
  // "Is there a …", "Are there any …"
  if (tokens[1]?.stem === 'there') object = phrase(2)
  else {
    const verb = tokens.findIndex((t, i) => i > 0 && HAVING.has(t.stem))
    if (verb > 0) object = phrase(verb + 1)
  }
  return { subject, object }
}
