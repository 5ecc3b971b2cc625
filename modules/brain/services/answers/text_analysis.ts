/**
 * The small amount of language knowledge the answerers need: which words of
 * a question carry its meaning (stop words removed in English and Arabic),
 * a normal form under which the question's words and a passage's words can
 * meet (Arabic letter variants unified, light stemming), and how a retrieved
 * chunk splits into quotable passages.
 */

const ARABIC_LETTER = /[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]/g
const LATIN_LETTER = /[A-Za-z]/g

/** 'arabic' when most letters of the text are Arabic, else 'english'. */
export function questionLanguage(text: string): 'english' | 'arabic' {
  const arabic = text.match(ARABIC_LETTER)?.length ?? 0
  const latin = text.match(LATIN_LETTER)?.length ?? 0
  return arabic > latin ? 'arabic' : 'english'
}

/**
 * Arabic spelling varies in ways that do not change the word: diacritics,
 * the tatweel stretch, hamza forms of alef, final ya written as alef
 * maqsura, ta marbuta written as ha. Tanween on a final alef (يوماً) is
 * grammar, not meaning, so the alef goes with it. Arabic-Indic digits
 * become ASCII so prices match however they are typed.
 */
export function normalizeArabic(text: string) {
  return text
    .replace(/\u0627\u064B|\u064B\u0627/g, '')
    .replace(/[\u064B-\u065F\u0670\u06D6-\u06ED]/g, '')
    .replace(/\u0640/g, '')
    .replace(/[\u0622\u0623\u0625\u0671]/g, '\u0627')
    .replace(/\u0649/g, '\u064A')
    .replace(/\u0629/g, '\u0647')
    .replace(/\u0624/g, '\u0648')
    .replace(/\u0626/g, '\u064A')
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
}

const ENGLISH_STOP_WORDS = new Set(
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
  thank kindly dear anyone someone something still really able many way ok okay
  take takes taking took taken make makes making made give gives giving gave given go goes going
  went gone come comes coming came say says said see look find happen happens happened put`.split(
    /\s+/
  )
)

/** Written in normalised form (see normalizeArabic), as they are compared. */
const ARABIC_STOP_WORDS = new Set(
  normalizeArabic(
    `في من على إلى الى عن مع هل ما ماذا لماذا كيف كم متى أين اين أي اي أو او ثم لا لم لن إن ان أن
    كان كانت يكون تكون هذا هذه ذلك تلك هؤلاء الذي التي الذين اللذين اللتين هو هي هم هن أنا انا نحن
    أنت انت أنتم انتم أنتن لي لك له لها لنا لكم لهم بي بك به بها بنا بكم بهم عند عندي عندك عندنا
    لدي لدينا لديك لديكم كل بعض أيضا ايضا قد لقد إذا اذا إذ لو ليس ليست غير سوى حتى كما بين بعد قبل
    فوق تحت منذ خلال ضمن يا أم إما اما بل لكن لكنني ولكن يمكن يمكنني يمكنك أستطيع استطيع تستطيع
    يستطيع أريد اريد نريد تريد أود اود أرجو ارجو من فضلك لو سمحت شكرا مرحبا السلام عليكم هناك هنا
    وهل فهل وما وكيف وكم وماذا`
  ).split(/\s+/)
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
    if (suffix === 's' && /(ss|us|is)$/.test(word)) return word
    if (suffix === 'es' && !/(ss|x|z|ch|sh)es$/.test(word)) continue
    const stem = word.slice(0, -suffix.length) + replacement
    if (stem.length >= minimum) return stem
  }
  return word
}

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
  const normalised = normalizeArabic(text.toLowerCase())
    .replace(/(\d)[,\u066C](?=\d{3}\b)/g, '$1')
    .replace(/[\u2019\u2018]/g, "'")
  const words = normalised.match(/[a-z0-9]+(?:'[a-z]+)?|[\u0621-\u064A]+|\d+(?:\.\d+)?/g) ?? []
  const tokens: Token[] = []
  for (const word of words) {
    const arabic = /[\u0621-\u064A]/.test(word)
    if (arabic) {
      const content = !ARABIC_STOP_WORDS.has(word) && word.length > 1
      tokens.push({ stem: stemArabic(word), content })
    } else {
      const bare = word.replace(/'s$/, '')
      const content = !ENGLISH_STOP_WORDS.has(word) && !ENGLISH_STOP_WORDS.has(bare)
      tokens.push({
        stem: stemEnglish(bare.replace(/'/g, '')),
        content: content && bare.length > 1,
      })
    }
  }
  return tokens
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
 * How well a term is matched by a set of stems: 1 for the same stem, 0.8
 * for a shared beginning long enough to be the same word in another form
 * (cancel, cancellation), else 0.
 */
export function termMatch(term: string, stems: Set<string>): number {
  if (stems.has(term)) return 1
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
  }
  return best
}

/** Markdown syntax a quote should not carry into a chat message. */
export function plainText(markdown: string) {
  return markdown
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|\s)[*_](\S.*?\S|\S)[*_](?=\s|$|[.,;:])/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/^\s{0,3}(?:[-*+]|\d+[.)])\s+/, '')
    .replace(/\s+/g, ' ')
    .trim()
}

export interface Passage {
  /** What is quoted. */
  text: string
  /** Words that frame the passage without being part of it (a table's header row). */
  context: string
  /** Position in the chunk, so neighbours can be joined. */
  index: number
  /** The line (paragraph, list item, row) it comes from: only its own sentences continue it. */
  block: number
}

const SENTENCE_END = /(?<=[.!?\u061F])\s+(?=["'\u201C(\p{Lu}\p{Script=Arabic}\d])/u
const ABBREVIATION = /\b(?:e\.g|i\.e|etc|no|nos|art|sec|fig|approx|dr|mr|mrs|ms|st|vs)\.$/i

/**
 * A chunk's quotable passages: its sentences, list items and table rows.
 * Headings are dropped (the heading path says where a passage sits), very
 * short fragments are joined to their neighbour, and a table row carries the
 * header row as context so "54300" is known to be an annual premium.
 */
export function splitPassages(chunkText: string): Passage[] {
  const passages: Passage[] = []
  const lines = chunkText.split(/\r?\n/).map((l) => l.trim())
  let tableHeader = ''

  const push = (text: string, line: number, context = '') => {
    const clean = plainText(text)
    if (clean.length === 0) return
    const last = passages.at(-1)
    // A fragment under 30 characters ("Call us any time.") says too little
    // to quote alone; it stays with the sentence before it in its paragraph.
    if (last && last.block === line && !context && clean.length < 30) {
      last.text = `${last.text} ${clean}`
      return
    }
    const passage = { text: clean, context, index: passages.length, block: line }
    passages.push(passage)
  }

  lines.forEach((text, line) => {
    if (text.length === 0 || /^<!--.*-->$/.test(text) || /^#{1,6}\s/.test(text)) return
    if (text.startsWith('|')) {
      if (isTableSeparator(text)) return
      const cells = text
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => plainText(cell))
        .join(' · ')
      // The header is the row a separator line follows; a chunk that starts
      // mid-table has none, and its rows are quoted without one.
      if (isTableSeparator(lines[line + 1] ?? '')) tableHeader = cells
      else push(cells, line, tableHeader)
      return
    }
    tableHeader = ''
    for (const sentence of splitSentences(text)) push(sentence, line)
  })
  return passages
}

function isTableSeparator(line: string) {
  return /^\|?[\s:|-]+\|?$/.test(line) && line.includes('-')
}

function splitSentences(paragraph: string) {
  const parts = paragraph.split(SENTENCE_END)
  const sentences: string[] = []
  for (const part of parts) {
    const last = sentences.at(-1)
    if (last !== undefined && ABBREVIATION.test(last))
      sentences[sentences.length - 1] = `${last} ${part}`
    else sentences.push(part)
  }
  return sentences
}
