/**
 * Which PostgreSQL text-search configuration suits a document: 'english'
 * stems English words, 'arabic' stems Arabic ones, 'simple' only lowercases
 * (right for anything else, and safe for mixed or unknown text).
 */
export type SourceLanguage = 'english' | 'arabic' | 'simple'

/*
| Common English function words. A Latin-script text with none of them is
| more likely French, Spanish, a product list or codes, where English stemming
| would mangle words rather than help.
*/
const ENGLISH_STOP_WORDS = new Set(
  (
    'the and of to a in is it you that for are on with as be this was have or by not we ' +
    'your our can will from at an if all there they which do does has what when how who ' +
    'their been would should may must any these those than then into about per also but ' +
    'each only more'
  ).split(' ')
)

/** Share of English stop words among Latin words for the text to count as English. */
const ENGLISH_STOP_SHARE = 0.08

/**
 * 'arabic' when Arabic script makes up most of the letters; 'english' when the
 * letters are mostly Latin and enough of the words are English stop words;
 * otherwise 'simple'.
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
