/*
| The brain's one text toolkit: how Arabic and English text is normalised,
| split into words, stripped of stop words, stemmed, and which language it
| is in. The full-text index, the local embedder, the answerers and the
| assistant all read text through it, so a question and a passage written
| with different spellings of the same word (أ or ا, ة or ه, ى or ي,
| diacritics, Arabic-Indic digits) meet on every path.
*/

/**
 * Arabic spelling varies in ways that do not change the word: diacritics,
 * the tatweel stretch, hamza forms of alef, final ya written as alef
 * maqsura, ta marbuta written as ha, hamza on waw or ya. Arabic-Indic digits
 * become ASCII so prices match however they are typed. Kept as data so the
 * same rules run in JavaScript (normalizeArabic) and in SQL
 * (normalizeArabicSql, for the full-text index).
 */
const ARABIC_FOLDS: Array<[string, string]> = [
  ['\u0622\u0623\u0625\u0671\u0672\u0673', '\u0627'],
  ['\u0649', '\u064A'],
  ['\u0629', '\u0647'],
  ['\u0624', '\u0648'],
  ['\u0626', '\u064A'],
  // The same letters from Persian and Urdu keyboards, common in Gulf chat:
  // keheh (ک) is kaf, Farsi yeh (ی) is ya, ae (ە) and heh with yeh (ۀ) are ha.
  ['\u06A9', '\u0643'],
  ['\u06CC', '\u064A'],
  ['\u06D5\u06C0', '\u0647'],
  ['\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669', '0123456789'],
  ['\u06F0\u06F1\u06F2\u06F3\u06F4\u06F5\u06F6\u06F7\u06F8\u06F9', '0123456789'],
]

function charRange(from: number, to: number) {
  let chars = ''
  for (let code = from; code <= to; code++) chars += String.fromCharCode(code)
  return chars
}

/** Harakat, tanwin, shadda, superscript alef, Quranic marks, tatweel: dropped. */
const ARABIC_DROPPED = charRange(0x064b, 0x065f) + '\u0670' + charRange(0x06d6, 0x06ed) + '\u0640'

/**
 * Tanween on a final alef (يوماً) is grammar, not meaning, so the alef goes
 * with it. Runs before the marks are dropped.
 */
const TANWEEN_ALEF = '\u0627\u064B|\u064B\u0627'

const FOLD_MAP = new Map<string, string>()
for (const [from, to] of ARABIC_FOLDS) {
  ;[...from].forEach((char, i) => FOLD_MAP.set(char, to.length === 1 ? to : to[i]))
}
for (const char of ARABIC_DROPPED) FOLD_MAP.set(char, '')
const FOLD_CHARS = new RegExp(`[${[...FOLD_MAP.keys()].join('')}]`, 'g')
const TANWEEN_ALEF_RE = new RegExp(TANWEEN_ALEF, 'g')

export function normalizeArabic(text: string) {
  return text.replace(TANWEEN_ALEF_RE, '').replace(FOLD_CHARS, (char) => FOLD_MAP.get(char)!)
}

/**
 * The same folding as a SQL expression over `expr` (PostgreSQL's translate
 * drops the characters it has no replacement for), so the full-text index
 * folds passages inside the database exactly as normalizeArabic folds them
 * here; a test runs both over the same text.
 */
export function normalizeArabicSql(expr: string) {
  const from = [...FOLD_MAP.keys()].filter((char) => FOLD_MAP.get(char) !== '').join('')
  const to = [...FOLD_MAP.keys()]
    .filter((char) => FOLD_MAP.get(char) !== '')
    .map((char) => FOLD_MAP.get(char))
    .join('')
  return `translate(regexp_replace(${expr}, '${TANWEEN_ALEF}', '', 'g'), '${from}${ARABIC_DROPPED}', '${to}')`
}

/**
 * Text in the form every comparison uses: Unicode-normalised (Arabic
 * presentation forms become letters), lower-cased, Arabic folded, thousands
 * separators removed (250,000 and 250000 are one number), curly apostrophes
 * straight.
 */
export function foldText(text: string) {
  return normalizeArabic(text.normalize('NFKC').toLowerCase())
    .replace(/(\d)[,\u066C](?=\d{3}\b)/g, '$1')
    .replace(/[\u2019\u2018]/g, "'")
}

/** Letters and digits of any script, as the local embedder counts words. */
export function lexicalWords(text: string): string[] {
  return foldText(text).match(/[\p{L}\p{N}]+/gu) ?? []
}

/**
 * Stop words: too common to say what a question or passage is about. One
 * list per language, in folded form; used by the embedder, the answerers and
 * language detection alike.
 */
export const ENGLISH_STOP_WORDS = new Set(
  `a about above after again against all also am an and any anything are aren't as at be because
  been before being below between both but by can can't cannot could couldn't did didn't do does
  doesn't doing don't down during each either else etc ever every few for from further get gets
  getting got had hadn't has hasn't have haven't having he her here hers herself him himself his
  how however i i'd i'll i'm i've if in into is isn't it it's its itself just let let's like me
  might more most much must my myself need needs no nor not now of off on once only or other
  ought our ours ourselves out over own please same shall she should shouldn't so some such than
  that that's the their theirs them themselves then there there's these they they're this those
  through to too under until up us very via was wasn't we we're were weren't what what's when
  where which while who whom whose why will with won't would wouldn't yes yet you you'd you'll
  you're you've your yours yourself yourselves tell know want wanted wondering hi hello thanks
  whats wats wat u ur pls plz thx since
  thank kindly dear anyone someone something still really able many way ok okay
  take takes taking took taken make makes making made give gives giving gave given go goes going
  went gone come comes coming came say says said see look find happen happens happened put`.split(
    /\s+/
  )
)

/** Written in normalised form (see normalizeArabic), as they are compared. */
export const ARABIC_STOP_WORDS = new Set(
  normalizeArabic(
    `في من على إلى الى عن مع هل ما ماذا لماذا كيف كم متى أين اين أي اي أو او ثم لا لم لن إن ان أن
    كان كانت يكون تكون هذا هذه ذلك تلك هؤلاء الذي التي الذين اللذين اللتين هو هي هم هن أنا انا نحن
    أنت انت أنتم انتم أنتن لي لك له لها لنا لكم لهم بي بك به بها بنا بكم بهم عند عندي عندك عندنا
    لدي لدينا لديك لديكم كل بعض أيضا ايضا قد لقد إذا اذا إذ لو ليس ليست غير سوى حتى كما بين بعد قبل
    فوق تحت منذ خلال ضمن يا أم إما اما بل لكن لكنني ولكن يمكن يمكنني يمكنك أستطيع استطيع تستطيع
    يستطيع أريد اريد نريد تريد أود اود أرجو ارجو من فضلك لو سمحت شكرا مرحبا السلام عليكم هناك هنا
    وهل فهل وما وكيف وكم وماذا عندما حين لما
    شو ايش وش وين ابغى ابغي ابي اقدر نقدر تقدر عشان علشان معي معك ممكن لازم حق
    شنو ليش ليه امتى ايمتى فين عايز عاوز بدي بدنا شلون اشلون ازاي إزاي كيفك هلا يعني
    يقدر تقدرين يقدرون تقدرون فيها فيه فيهم عليها عليه منها منه عنها عنه`
  ).split(/\s+/)
)

/** Words ending in s that are not plurals ("news" is not "new"). */
const NOT_PLURALS = new Set(
  'news series species always perhaps whereas alias atlas bias canvas gas lens physics politics economics ethics mathematics'.split(
    ' '
  )
)

/**
 * Light English stemming: inflections and a few common derivations, one
 * pass. Derivational suffixes need a longer remainder (payment stays
 * whole). No final-e rule: it would make "care" and "car" one word; the
 * prefix match in termMatch already joins "insure" and "insured".
 */
function stemEnglish(word: string) {
  if (word.length <= 3) return word
  const rules: Array<[string, string, number]> = [
    ['ational', 'ate', 5],
    ['ization', 'ize', 5],
    ['ations', 'ate', 5],
    ['ation', 'ate', 5],
    ['ments', '', 5],
    ['ment', '', 5],
    ['ness', '', 5],
    ['ying', 'y', 3],
    ['ings', '', 4],
    ['ing', '', 4],
    ['ies', 'y', 3],
    ['ied', 'y', 3],
    ['sses', 'ss', 3],
    ['ed', '', 4],
    ['es', '', 3],
    ['s', '', 3],
  ]
  for (const [suffix, replacement, minimum] of rules) {
    if (!word.endsWith(suffix)) continue
    if (suffix === 's' && (/(ss|us|is)$/.test(word) || NOT_PLURALS.has(word))) return word
    if (suffix === 'es' && !/(ss|x|z|ch|sh)es$/.test(word)) continue
    const stem = word.slice(0, -suffix.length) + replacement
    if (stem.length < minimum) continue
    // A consonant doubled before -ed or -ing is the verb's own (stopped,
    // tripped, planning: stop, trip, plan); l, s and z stay (filled, missed).
    if ((suffix === 'ed' || suffix === 'ing') && /([b-df-hj-km-np-rtv-y])\1$/.test(stem)) {
      return stem.slice(0, -1)
    }
    return stem
  }
  return word
}

/**
 * Irregular past forms, as their verb: "I paid", "we sent", "someone
 * stole" meet "pay", "send" and "theft"-free "steal" in a passage.
 */
const IRREGULAR_FORMS = new Map([
  ['paid', 'pay'],
  ['sent', 'send'],
  ['bought', 'buy'],
  ['brought', 'bring'],
  ['sold', 'sell'],
  ['spent', 'spend'],
  ['kept', 'keep'],
  ['stole', 'steal'],
  ['stolen', 'steal'],
  ['broke', 'break'],
  ['broken', 'break'],
  ['fell', 'fall'],
  ['fallen', 'fall'],
  ['wrote', 'write'],
  ['written', 'write'],
  ['chose', 'choose'],
  ['chosen', 'choose'],
  ['began', 'begin'],
  ['begun', 'begin'],
  ['ran', 'run'],
  ['met', 'meet'],
  ['won', 'win'],
  ['felt', 'feel'],
  ['heard', 'hear'],
  ['forgot', 'forget'],
  ['forgotten', 'forget'],
  ['caught', 'catch'],
  ['held', 'hold'],
  ['drove', 'drive'],
  ['driven', 'drive'],
  ['flew', 'fly'],
  ['flown', 'fly'],
  ['signed', 'sign'],
  ['understood', 'understand'],
  ['left', 'leave'],
] as Array<[string, string]>)

const ARABIC_PREFIXES = ['وال', 'بال', 'كال', 'فال', 'لل', 'ال', 'و', 'ف', 'ب']
const ARABIC_SUFFIXES = [
  'هما',
  'كما',
  'ها',
  'هم',
  'كم',
  'نا',
  'ات',
  'ون',
  'ين',
  'ان',
  'يه',
  'ه',
  'ي',
]

/** Light Arabic stemming (in the spirit of Larkey's light10): affixes, not roots. */
function stemArabic(word: string) {
  let stem = word
  for (const prefix of ARABIC_PREFIXES) {
    if (stem.startsWith(prefix) && stem.length - prefix.length >= 3) {
      stem = stem.slice(prefix.length)
      break
    }
  }
  for (const suffix of ARABIC_SUFFIXES) {
    if (stem.endsWith(suffix) && stem.length - suffix.length >= 3) {
      stem = stem.slice(0, -suffix.length)
      break
    }
  }
  return stem
}

/**
 * Numbers written as words, for comparing: "three hours" and "3 hours",
 * "ثلاثين يوماً" and "30 يوم" are the same fact. Compound numbers ("twenty
 * five", "خمسة وعشرين") stay words.
 */
const ENGLISH_NUMBERS = new Map(
  `one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
  sixteen seventeen eighteen nineteen twenty`
    .split(/\s+/)
    .map((word, i) => [word, String(i + 1)] as [string, string])
    .concat(
      ['thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'].map(
        (word, i) => [word, String(30 + 10 * i)] as [string, string]
      )
    )
)
/** Folded Arabic number words (masculine and feminine, with the case endings dialects drop). */
const ARABIC_NUMBERS = new Map<string, string>(
  (
    [
      ['واحد واحده', '1'],
      ['اثنين اثنان اثنتين اثنتان', '2'],
      ['ثلاث ثلاثه', '3'],
      ['اربع اربعه', '4'],
      ['خمس خمسه', '5'],
      ['ست سته', '6'],
      ['سبع سبعه', '7'],
      ['ثمان ثماني ثمانيه', '8'],
      ['تسع تسعه', '9'],
      ['عشر عشره', '10'],
      ['عشرين عشرون', '20'],
      ['ثلاثين ثلاثون', '30'],
      ['اربعين اربعون', '40'],
      ['خمسين خمسون', '50'],
      ['ستين ستون', '60'],
      ['تسعين تسعون', '90'],
    ] as Array<[string, string]>
  ).flatMap(([words, digits]) => words.split(' ').map((word) => [word, digits] as [string, string]))
)
const ARABIC_NUMBER_PREFIXES = ['', 'و', 'ب', 'ل', 'ف', 'وب', 'ول']

function arabicNumber(word: string) {
  for (const prefix of ARABIC_NUMBER_PREFIXES) {
    if (!word.startsWith(prefix)) continue
    const digits = ARABIC_NUMBERS.get(word.slice(prefix.length))
    if (digits) return digits
  }
  return null
}

/**
 * Phrases whose words say something else than the phrase: "sign up" is
 * joining (a health declaration is signed too), "let us know" is notifying,
 * "topped back up" reinstating. Each becomes the one word it means, for the
 * question and the passage alike. Everyday service English, not a domain's
 * terms.
 */
const PHRASES: Array<[RegExp, string]> = [
  [/\bsign(?:s|ed|ing)? (?:me |us |you )?up\b/g, 'join'],
  [/\be-mail/g, 'email'],
  [/\blet(?:s|ting)? (?:me|us|you|him|her|them|the \w+) know\b/g, 'notify'],
  [/\btop(?:s|ped|ping)? (?:it |them )?(?:back )?up\b/g, 'reinstate'],
  [/\bstraight away\b|\bright away\b|\bon the spot\b/g, 'immediately'],
  [/\bcall(?:s|ed|ing)? off\b/g, 'cancel'],
  [/\bput (?:it |my \w+ )?on hold\b/g, 'freeze'],
  [/\bfill(?:s|ed|ing)? in for\b/g, 'substitute'],
  // Filling in a form is completing it; "fill" alone would read as a locum filling a vacancy.
  [/\bfill(?:s|ed|ing)? (?:in|out)\b/g, 'complete'],
  [/\bwork(?:s|ed|ing)?[- ]?out\b/g, 'exercise'],
  [/\bfor good\b/g, 'permanently'],
  [/\bmoney back\b/g, 'refund'],
  [/\b(premium|fee|fees|deposit|payment) back\b/g, '$1 refund'],
  [/\bpass(?:es|ed|ing)? away\b/g, 'death'],
  [/\bmove(?:s|d)? in\b/g, 'available'],
]

function phrasesAsWords(text: string) {
  let out = text
  for (const [pattern, word] of PHRASES) out = out.replace(pattern, word)
  return out
}

export interface Token {
  /** The comparable form: normalised and stemmed. */
  stem: string
  /** Whether the word carries meaning (not a stop word). */
  content: boolean
}

/**
 * Words of a text in comparable form. Numbers keep their digits with
 * thousands separators removed (250,000 and 250000 are one number).
 */
export function tokenize(text: string): Token[] {
  const normalised = phrasesAsWords(foldText(text))
  const words = normalised.match(/[a-z0-9]+(?:'[a-z]+)?|[\u0621-\u064A]+|\d+(?:\.\d+)?/g) ?? []
  const tokens: Token[] = []
  for (const [i, word] of words.entries()) {
    if (word === 'one' && isPronounOne(words[i - 1], words[i + 1])) {
      tokens.push({ stem: word, content: false })
      continue
    }
    const arabic = /[\u0621-\u064A]/.test(word)
    if (arabic) {
      const content = !ARABIC_STOP_WORDS.has(word) && word.length > 1
      tokens.push({ stem: arabicNumber(word) ?? stemArabic(word), content })
    } else {
      const bare = word.replace(/'s$/, '')
      const stem =
        ENGLISH_NUMBERS.get(bare) ??
        IRREGULAR_FORMS.get(bare) ??
        stemEnglish(bare.replace(/'/g, ''))
      // "wants" and "tells" are as empty as "want" and "tell".
      const content =
        !ENGLISH_STOP_WORDS.has(word) &&
        !ENGLISH_STOP_WORDS.has(bare) &&
        !(ENGLISH_STOP_WORDS.has(stem) && stem !== bare)
      tokens.push({ stem, content: content && (bare.length > 1 || /^\d$/.test(bare)) })
    }
  }
  return tokens
}

/** Words before "one" that make it a pronoun ("a new one", "which one"), not the number. */
const ONE_PRONOUN_BEFORE = new Set(
  'a an the this that which each every any no another new old other same only right wrong first last next big small cheaper cheapest better best'.split(
    ' '
  )
)

/**
 * Whether "one" stands for a thing already named ("a new one", "the
 * cheaper one", "one of them") rather than the number 1 ("one year").
 */
function isPronounOne(before: string | undefined, after: string | undefined) {
  if (after === 'of') return true
  return before !== undefined && ONE_PRONOUN_BEFORE.has(before) && !/^[a-z]{3,}$/.test(after ?? '')
}

/** The distinct content stems of a text, in order of first appearance. */
export function contentTerms(text: string): string[] {
  return [
    ...new Set(
      tokenize(text)
        .filter((t) => t.content)
        .map((t) => t.stem)
    ),
  ]
}

/**
 * Words customers use for what a business's documents say otherwise: a
 * small lexicon of the everyday service vocabulary (prices, cancelling,
 * opening hours, joining, children, homes), in English and Gulf Arabic.
 * It stands in for what a semantic embedding model would know; it is not
 * a thesaurus, and a question about something the documents never mention
 * still finds nothing.
 */
const SYNONYM_GROUPS = [
  'cost price fee charge pay rent premium rate',
  'cancel quit terminate',
  'refund reimburse repay',
  'join register enrol enroll',
  'open opening',
  'close closes closing shut',
  'freeze pause hold suspend',
  'child children kid kids son daughter minor',
  'apartment flat',
  'size big large',
  'pet pets dog dogs cat cats',
  'year yearly annual annually',
  'month monthly',
  'guest guests visitor visitors friend friends',
  'lawyer solicitor legal',
  'america usa',
  'doctor physician clinician',
  'sue lawsuit',
  'gym club',
  'bedroom bed',
  'lost missing misplaced forget',
  'book booking reserve',
  'free complimentary',
  'protect cover',
  'report notify inform',
  'restore reinstate',
  'discount reduction lower cheaper',
  'advance ahead beforehand',
  'cap maximum limit',
  'new replacement replace',
  'abroad overseas outside',
  'slip slipping fall trip',
  'phone call ring telephone',
  // Insurance: what a policyholder says for what a policy wording says.
  'insurer underwriter',
  'excess deductible',
  'locum substitute fill',
  'cosmetic aesthetic appearance beauty',
  'botox botulinum',
  'employee employees staff worker workers',
  'hack hacker hackers cyber breach',
  'apologise apologize apology sorry sympathy',
  'document documents paperwork papers',
  'proof certificate',
  'country countries territory territorial',
  'ceiling cap',
  'pr publicity media press news journalist',
  'maternity pregnancy',
  'retire retirement retired',
  'court courts judge',
  'witness testify',
  // Real estate: listings and tenancy.
  'parking garage',
  'furnished furniture',
  'available vacant',
  'rent lease rental tenancy',
  'sale buy purchase',
  // Clubs, coaching and memberships.
  'membership subscription',
  'trainer coach instructor',
  'injury injured hurt',
  'immediately instantly',
  'padlock lock',
  'session sessions lesson lessons',
  'damaged broken',
  // Gulf Arabic and Modern Standard Arabic.
  'بديل مناوب',
  'تجميلي تجميل',
  'موظف موظفين عامل',
  'تقاعد متقاعد',
  'شقه شقق',
  'ايجار اجار',
  'مدرب كوتش',
  'اصابه اصبت',
  'سافر سفر مسافر',
  'وقف اوقف ايقاف موقت',
  'اقصى اكثر',
  'مده فتره',
  'سعر رسوم تكلفه ثمن',
  'اشتراك عضويه',
  'تجميد اجمد جمد ايقاف اوقف',
  'اشتغل عمل شغل',
  'مجاني مجانا بلاش ببلاش',
  'الغاء الغي اكنسل',
  'جيم الصاله نادي',
  'يسكر اسكر يغلق اغلاق',
  'اجيب احضار',
  'اصف موقف',
  'فلوس مبلغ',
  'تحت دون',
  'سنه عام سنين سنوات',
  // Added with local-lexical-v4, at the end so that the groups before keep
  // their places: a group's place is a feature of the vectors, and dataset
  // rows (data_engine) keep the vectors they were imported with.
  'thing things item items belongings stuff',
  'night nightly overnight',
  'whole full entire',
  'receive arrive',
  'explain explanation',
  'form declaration questionnaire',
  'exercise workout',
  'fault liability blame',
  'مفقود مفقودات ضايع ضاعت نسيت',
  'ضيف ضيوف صديق صديقي صاحبي',
]

const SYNONYMS = new Map<string, Set<string>>()
/** Each group's words as the lexicon writes them. */
const SYNONYM_WORDS = SYNONYM_GROUPS.map((group) => group.split(' '))
/** Each stem's synonym groups, by their place in SYNONYM_GROUPS. */
const SYNONYM_GROUP_IDS = new Map<string, number[]>()
for (const [index, group] of SYNONYM_GROUPS.entries()) {
  const stems = tokenize(group).map((t) => t.stem)
  for (const stem of new Set(stems)) {
    SYNONYM_GROUP_IDS.set(stem, [...(SYNONYM_GROUP_IDS.get(stem) ?? []), index])
  }
  for (const stem of stems) {
    const known = SYNONYMS.get(stem) ?? new Set<string>()
    for (const other of stems) if (other !== stem) known.add(other)
    SYNONYMS.set(stem, known)
  }
}

/** Other stems meaning the same as `stem` in a customer's question. */
export function synonymsOf(stem: string): string[] {
  return [...(SYNONYMS.get(stem) ?? [])]
}

/**
 * The synonym groups a stem belongs to (their places in the lexicon), so a
 * question's word and a passage's synonym of it can share one feature: the
 * local embedder adds it on both sides.
 */
export function synonymGroupsOf(stem: string): number[] {
  return SYNONYM_GROUP_IDS.get(stem) ?? []
}

/**
 * The words of the question, each with the lexicon's other words for it
 * (as written in the lexicon, so a text-search configuration can stem them
 * its own way): "quit" gives cancel and terminate. Words the lexicon does
 * not know, and stop words, are left out. For the full-text side, where a
 * question's term matches any of its synonyms.
 */
export function synonymWordsByWord(text: string): Array<{ word: string; synonyms: string[] }> {
  const out: Array<{ word: string; synonyms: string[] }> = []
  const seen = new Set<string>()
  for (const word of lexicalWords(text)) {
    if (seen.has(word)) continue
    seen.add(word)
    const [token, ...rest] = tokenize(word)
    if (!token || rest.length > 0 || !token.content) continue
    const synonyms = new Set<string>()
    for (const group of synonymGroupsOf(token.stem)) {
      for (const other of SYNONYM_WORDS[group]) if (other !== word) synonyms.add(other)
    }
    if (synonyms.size > 0) out.push({ word, synonyms: [...synonyms] })
  }
  return out
}

/**
 * Words saying when the customer's circumstance happened ("yesterday
 * evening", "years ago"): they colour a question as an adverb does.
 */
const WHEN_IT_HAPPENED = new Set(
  tokenize('yesterday today tonight tomorrow ago earlier lately morning evening').map((t) => t.stem)
)

/**
 * Whether an English word is an adverb of manner or time formed with -ly
 * ("purely", "recently", "actually"): it colours a question, it does not
 * say what the question is about. Words of the lexicon ("annually"),
 * how often ("quarterly", "weekly") say what it is about, and short words
 * ending in -ly ("family", "apply", "early", "only") are not such adverbs.
 */
export function isMannerAdverb(stem: string) {
  if (WHEN_IT_HAPPENED.has(stem)) return true
  return (
    /^[a-z]{4,}ly$/.test(stem) &&
    !/(ily|ply|ally|(week|hour|quarter|month|year|night|fortnight)ly)$/.test(stem) &&
    synonymGroupsOf(stem).length === 0
  )
}

/**
 * A question with the lexicon's synonyms of its words added, for retrieval:
 * "quit my yearly plan" also looks for cancel and annual.
 */
export function expandQuery(question: string) {
  const extra = new Set<string>()
  for (const token of tokenize(question)) {
    if (!token.content) continue
    for (const group of SYNONYM_GROUPS) {
      const words = group.split(' ')
      const stems = tokenize(group).map((t) => t.stem)
      if (stems.includes(token.stem)) for (const word of words) extra.add(word)
    }
  }
  return extra.size ? `${question} ${[...extra].join(' ')}` : question
}

/**
 * Initials of runs of three or four words (Jumeirah Lake Towers: jlt), so a
 * question using an abbreviation meets the passage spelling it out. A
 * heading is a name, so its two-word runs count too (Personal training:
 * pt); in running text two initials would match too much by chance.
 */
export function acronymsOf(text: string, options: { pairs?: boolean } = {}): string[] {
  const words = lexicalWords(text).filter((word) => !isStopWord(word) && /^\p{L}/u.test(word))
  const found: string[] = []
  if (options.pairs) {
    for (let i = 0; i + 2 <= words.length; i++) found.push(words[i][0] + words[i + 1][0])
  }
  for (let i = 0; i + 3 <= words.length; i++) {
    found.push(
      words
        .slice(i, i + 3)
        .map((word) => word[0])
        .join('')
    )
    if (i + 4 <= words.length)
      found.push(
        words
          .slice(i, i + 4)
          .map((word) => word[0])
          .join('')
      )
  }
  return found
}

/** Whether two words differ by one edit (a typo: a letter missing, extra, wrong or swapped). */
function oneEditApart(a: string, b: string) {
  if (Math.abs(a.length - b.length) > 1 || a === b) return false
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  const restA = a.slice(i)
  const restB = b.slice(i)
  return (
    restA.slice(1) === restB.slice(1) ||
    restA.slice(1) === restB ||
    restA === restB.slice(1) ||
    (restA.length > 1 &&
      restA[0] === restB[1] &&
      restA[1] === restB[0] &&
      restA.slice(2) === restB.slice(2))
  )
}

/**
 * Whether two words are at most two edits apart (letters missing, extra,
 * wrong or swapped: optimal string alignment distance), for long words only,
 * where two slips still leave the word recognisable.
 */
function twoEditsApart(a: string, b: string) {
  if (Math.abs(a.length - b.length) > 2 || a[0] !== b[0]) return false
  let before = Array.from({ length: b.length + 1 }, (_, j) => j)
  let previous = before
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    let smallest = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let value = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2] + 1)
      }
      row.push(value)
      smallest = Math.min(smallest, value)
    }
    if (smallest > 2) return false
    before = previous
    previous = row
  }
  return previous[b.length] <= 2
}

/**
 * How well a term is matched by a set of stems: 1 for the same stem, 0.8
 * for a shared beginning long enough to be the same word in another form
 * (cancel, cancellation), 0.85 for a synonym from the lexicon, 0.7 for a
 * word of five letters or more one typo away, 0.65 for an English word of
 * eight letters or more two typos away, else 0.
 */
export function termMatch(term: string, stems: Set<string>): number {
  if (stems.has(term)) return 1
  const synonyms = synonymsOfForm(term)
  for (const synonym of synonyms) if (stems.has(synonym)) return 0.85
  // Another form of a synonym: "restored" meets "reinstatement".
  for (const synonym of synonyms) {
    for (const stem of stems) if (sameWordForms(synonym, stem)) return 0.8
  }
  if (/^\d/.test(term)) return 0
  const arabic = /[\u0621-\u064A]/.test(term)
  const minimum = arabic ? 4 : 5
  if (term.length < minimum - 1) return 0
  let best = 0
  for (const stem of stems) {
    if (/^\d/.test(stem)) continue
    const shorter = Math.min(term.length, stem.length)
    if (shorter < minimum - 1) continue
    let shared = 0
    while (shared < shorter && term[shared] === stem[shared]) shared++
    if (shared >= minimum && shared >= shorter * 0.8) best = Math.max(best, 0.8)
    // The whole of a shorter word begins the longer one: a stem and a typo of its word (open,
    // openng), not a short word inside a long one (card, cardiologist).
    else if (
      shared === shorter &&
      shorter >= minimum - 1 &&
      Math.max(term.length, stem.length) - shorter <= 3
    )
      best = Math.max(best, 0.75)
    else if (term.length >= 5 && stem.length >= 5 && oneEditApart(term, stem)) {
      best = Math.max(best, 0.7)
    } else if (!arabic && term.length >= 8 && stem.length >= 8 && twoEditsApart(term, stem)) {
      // A long word survives two slips ("reinstatment", "acommodation").
      best = Math.max(best, 0.65)
    }
    if (arabic && sameArabicVerb(term, stem)) best = Math.max(best, 0.8)
    if (arabic && withoutArabicPreposition(term) === withoutArabicPreposition(stem))
      best = Math.max(best, 0.8)
  }
  return best
}

/**
 * An Arabic word without the preposition ل ("for, to") or ك ("as") joined
 * to its front (لعمر, كضيف: عمر, ضيف). The stemmer keeps them, as many
 * words begin with those letters (ليله, كتاب); a comparison tries the word
 * both ways.
 */
export function withoutArabicPreposition(stem: string) {
  return /^[لك][\u0621-\u064A]{3,}$/.test(stem) ? stem.slice(1) : stem
}

/**
 * Arabic verbs carry their person and tense in front: أعمل, نعمل, تعملون,
 * سأتقاعد are forms of عمل and تقاعد. Light stemming keeps those letters
 * (stripping them from nouns would wreck words such as تأمين), so a verb is
 * compared with and without them.
 */
const ARABIC_VERB_PREFIX = /^(س?[اينت])/

/** An Arabic word without a verb's person and tense prefix (اسافر, سأسافر: سافر); others unchanged. */
function arabicVerbStem(word: string) {
  if (!/^[\u0621-\u064A]+$/.test(word)) return word
  const bare = word.replace(ARABIC_VERB_PREFIX, '')
  return bare.length >= 3 ? bare : word
}
function sameArabicVerb(a: string, b: string) {
  const bare = (word: string) => word.replace(ARABIC_VERB_PREFIX, '')
  const [x, y] = [bare(a), bare(b)]
  if (Math.min(x.length, y.length) < 3) return false
  return x === y || x === b || a === y
}

/**
 * Whether a set of stems holds a term as the same word, in any form
 * (cancel, cancellation), but not a synonym or a typo: for checks where
 * "rent" must not meet "price" ("is the flat for sale" against a rent).
 */
export function holdsWord(term: string, stems: Set<string>) {
  if (stems.has(term)) return true
  for (const stem of stems) if (sameWordForms(term, stem)) return true
  return false
}

/** Whether two stems are forms of one word: a long shared beginning (cancel, cancellation). */
function sameWordForms(a: string, b: string) {
  const shorter = Math.min(a.length, b.length)
  const minimum = /[\u0621-\u064A]/.test(a) ? 4 : 5
  if (shorter < minimum - 1 || /^\d/.test(a) || /^\d/.test(b)) return false
  let shared = 0
  while (shared < shorter && a[shared] === b[shared]) shared++
  return (
    (shared >= minimum && shared >= shorter * 0.8) || (shared === shorter && shorter >= minimum)
  )
}

/** The lexicon's synonyms of a stem, or of another form of its word ("restor" for "restore"). */
function synonymsOfForm(term: string): Set<string> {
  const known = SYNONYMS.get(term) ?? SYNONYMS.get(arabicVerbStem(term))
  if (known) return known
  if (/^\d/.test(term)) return new Set()
  for (const [key, synonyms] of SYNONYMS) if (sameWordForms(term, key)) return synonyms
  return new Set()
}

/** Whether a folded word is a stop word in English or Arabic. */
export function isStopWord(word: string) {
  return ENGLISH_STOP_WORDS.has(word) || ARABIC_STOP_WORDS.has(word)
}

/**
 * Which PostgreSQL text-search configuration suits a document: 'english'
 * stems English words, 'arabic' stems Arabic ones, 'simple' only lowercases
 * (right for anything else, and safe for mixed or unknown text).
 */
export type SourceLanguage = 'english' | 'arabic' | 'simple'

/** Share of English stop words among Latin words for a text to count as English. */
const ENGLISH_STOP_SHARE = 0.08

/**
 * A document's language: 'arabic' when Arabic script makes up most of the
 * letters; 'english' when the letters are mostly Latin and enough of the
 * words are English stop words (a Latin-script text with none of them is
 * more likely French, a product list or codes, where English stemming would
 * mangle words); otherwise 'simple'.
 */
export function detectLanguage(text: string): SourceLanguage {
  let arabic = 0
  let latin = 0
  let letters = 0
  for (const char of text) {
    if (/\p{L}/u.test(char)) {
      letters++
      if (/\p{Script=Arabic}/u.test(char)) arabic++
      else if (/\p{Script=Latin}/u.test(char)) latin++
    }
  }
  if (letters === 0) return 'simple'
  if (arabic / letters > 0.5) return 'arabic'
  if (latin / letters <= 0.5) return 'simple'

  const words = text.toLowerCase().match(/[a-z]+(?:'[a-z]+)?/g) ?? []
  if (words.length === 0) return 'simple'
  let stops = 0
  for (const word of words) if (ENGLISH_STOP_WORDS.has(word)) stops++
  // A title or a short phrase may hold one stop word in three words; a long
  // text in another Latin language rarely reaches the share.
  return stops >= 1 && stops / words.length >= ENGLISH_STOP_SHARE ? 'english' : 'simple'
}

const ARABIC_LETTER = /[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]/g
const LATIN_LETTER = /[A-Za-z]/g

/**
 * A customer message's language, for the reply: 'arabic' when most letters
 * are Arabic, else 'english' (a short message has too few words for
 * detectLanguage's stop-word test).
 */
export function messageLanguage(text: string): 'english' | 'arabic' {
  const arabic = text.match(ARABIC_LETTER)?.length ?? 0
  const latin = text.match(LATIN_LETTER)?.length ?? 0
  return arabic > latin ? 'arabic' : 'english'
}
