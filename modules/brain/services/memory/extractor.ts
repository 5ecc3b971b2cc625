import { normalizeArabic } from '../text_toolkit.js'
import type { FactKind } from '../memory.js'

/**
 * The offline memory: facts read from a customer's messages with plain
 * patterns, in English and Arabic, and a rolling summary made of their own
 * words. Deterministic, so re-reading the same messages gives the same
 * memory, and nothing is invented: every fact and every summary line is
 * text the customer wrote.
 */

export interface ExtractedFact {
  kind: FactKind
  value: string
}

export interface MemoryMessage {
  id: string
  seq: number
  conversationId: string
  direction: 'inbound' | 'outbound'
  body: string
  at: Date
}

/** Longest value kept for a fact; a longer "preference" is cut at a word. */
const MAX_VALUE = 160
/** The extractive summary keeps this many dated lines, newest last. */
const SUMMARY_LINES = 8
export const MAX_SUMMARY_CHARS = 1500
/** One summary line quotes at most this much of the customer. */
const LINE_QUOTE = 220

/** The key a fact is stored and deduplicated under: case, spacing, Arabic letter forms folded. */
export function factKey(kind: string, value: string) {
  let key = normalizeArabic(value.normalize('NFKC')).toLowerCase().replace(/\s+/g, ' ').trim()
  key = key.replace(/^[\s"'«“(]+|[\s"'»”).,;:!?؟،]+$/g, '')
  if (kind === 'policy_number' || kind === 'phone') key = key.replace(/[\s\-/.]/g, '')
  return key.slice(0, 500)
}

function clip(value: string, max = MAX_VALUE) {
  const clean = value.replace(/\s+/g, ' ').trim()
  if (clean.length <= max) return clean
  const cut = clean.slice(0, max)
  const space = cut.lastIndexOf(' ')
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`
}

/** Arabic-Indic digits read as ASCII, for the patterns below (the value keeps the original). */
function asciiDigits(text: string) {
  return text
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\u06F0-\u06F9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
}

const NAME_STOP = new Set([
  'and',
  'i',
  'im',
  'from',
  'with',
  'here',
  'calling',
  'writing',
  'my',
  'the',
  'please',
  'again',
  'speaking',
  'but',
  'so',
  'not',
  'و',
  'من',
  'في',
  'مع',
])

/** Up to three name words after an introduction, stopping at punctuation or a joining word. */
function nameAfter(rest: string) {
  const words: string[] = []
  for (const raw of rest.split(/\s+/)) {
    const word = raw.replace(/^[^\p{L}]+/u, '')
    const clean = word.replace(/[^\p{L}\p{M}'’-]+$/u, '')
    if (!clean || NAME_STOP.has(clean.toLowerCase())) break
    if (!/^[\p{L}\p{M}'’-]+$/u.test(clean)) break
    words.push(clean)
    // A word that ended in punctuation ends the name.
    if (clean !== word || words.length === 3) break
  }
  if (!words.length) return null
  const name = words.join(' ')
  // "my name is sara" → "Sara"; Arabic has no case.
  return name.replace(/(^|\s)(\p{Ll})/gu, (_, space, letter) => space + letter.toUpperCase())
}

const NAME_PATTERNS = [
  /\bmy name(?:'s| is)\s+(.+)/i,
  /\bcall me\s+(.+)/i,
  /(?:^|\s)(?:انا|أنا)?\s*اسمي\s+(?:هو\s+)?(.+)/u,
]

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu

/** Policy-number-like tokens: letters and digits with at least four digits (POL-123456, MP/2024/0012). */
const POLICY_TOKEN =
  /\b(?=[A-Z0-9/-]*\d[A-Z0-9/-]*\d[A-Z0-9/-]*\d[A-Z0-9/-]*\d)[A-Z]{1,6}[-/]?[A-Z0-9]+(?:[-/][A-Z0-9]+)*\b/g
/** A number after the words "policy number" or "رقم الوثيقة / البوليصة". */
const POLICY_AFTER_WORDS =
  /(?:\bpolicy\s*(?:number|no\.?|num(?:ber)?|#)?\s*(?:is|:)?\s*|(?:رقم\s+)?(?:الوثيقة|البوليصة|وثيقتي|بوليصتي|وثيقة|بوليصة)\s*(?:رقم|هو|:)?\s*)([A-Za-z]{0,6}[-/]?\d[\dA-Za-z/-]{3,})/giu

const PHONE = /(?:^|[^\d+])(\+\d[\d\s-]{7,16}\d)/g

const MONTHS_EN =
  'january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec'
const MONTHS_AR =
  'يناير|فبراير|مارس|أبريل|ابريل|إبريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر|كانون الثاني|شباط|آذار|نيسان|أيار|حزيران|تموز|آب|أيلول|تشرين الأول|تشرين الثاني|كانون الأول'
const DATE_PATTERNS = [
  /\b\d{4}-\d{2}-\d{2}\b/g,
  /\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b/g,
  new RegExp(
    `\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?(?:${MONTHS_EN})\\.?(?:,?\\s+\\d{4})?\\b`,
    'gi'
  ),
  new RegExp(`\\b(?:${MONTHS_EN})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?\\b`, 'gi'),
  new RegExp(`(?:^|\\s)(\\d{1,2}\\s+(?:${MONTHS_AR})(?:\\s+\\d{4})?)`, 'gu'),
]

const PREFERENCE_PATTERNS = [
  /\bI(?:'d| would)? prefer(?:s)?\s+(.+)/i,
  /\bplease (?:always |only )?((?:contact|call|email|message|text|reach) me (?:by|via|on|through|in|at) .+)/i,
  /(?:^|\s)(?:انا|أنا)?\s*(?:أفضل|افضل|أفضّل|أُفضّل)\s+(.+)/u,
  /(?:^|\s)(?:من فضلك|رجاء|الرجاء)\s+((?:تواصلوا|اتصلوا|راسلوني|كلموني)\s+.+)/u,
]

/** The rest of the sentence a pattern matched in. */
function sentenceRest(text: string) {
  return text.split(/(?<=[.!?؟])\s|[\n;]|[.!?؟]$/u)[0] ?? text
}

/** Facts a customer's message states, each once, in the order they appear. */
export function extractFacts(text: string): ExtractedFact[] {
  const facts: ExtractedFact[] = []
  const seen = new Set<string>()
  const add = (kind: FactKind, value: string | null | undefined) => {
    if (!value) return
    const clean = clip(value.replace(/[\s.,;:!?؟،]+$/u, ''))
    if (!clean) return
    const key = `${kind}\u0000${factKey(kind, clean)}`
    if (seen.has(key)) return
    seen.add(key)
    facts.push({ kind, value: clean })
  }

  for (const sentence of text.split(/(?<=[.!?؟])\s+|\n+/u)) {
    for (const pattern of NAME_PATTERNS) {
      const match = sentence.match(pattern)
      if (match) add('name', nameAfter(match[1]))
    }
    for (const pattern of PREFERENCE_PATTERNS) {
      const match = sentence.match(pattern)
      if (match) add('preference', sentenceRest(match[1]))
    }
  }

  const emails = text.match(EMAIL) ?? []
  for (const email of emails) add('email', email.toLowerCase())

  // Patterns read ASCII digits; blanking keeps every position, so a match
  // is cut from the original text (Arabic digits stay as the customer wrote).
  const blank = (rest: string, part: string) => rest.replace(part, ' '.repeat(part.length))
  const original = (match: RegExpMatchArray, group = 0) => {
    const start = match.index! + (group ? match[0].indexOf(match[group]) : 0)
    return text.slice(start, start + match[group].length)
  }
  const withoutEmails = emails.reduce(blank, asciiDigits(text))
  let withoutDates = withoutEmails
  for (const pattern of DATE_PATTERNS) {
    for (const match of withoutEmails.matchAll(pattern)) {
      const group = match[1] === undefined ? 0 : 1
      add('date', original(match, group).trim())
      withoutDates = blank(withoutDates, match[group])
    }
  }
  for (const match of withoutDates.matchAll(POLICY_AFTER_WORDS)) {
    add('policy_number', original(match, 1))
  }
  for (const match of withoutDates.matchAll(POLICY_TOKEN)) {
    // Letters are required: a bare number is more often an amount or a phone.
    if (/[A-Z]/.test(match[0])) add('policy_number', original(match))
  }
  for (const match of withoutDates.matchAll(PHONE)) {
    add('phone', original(match, 1).replace(/\s+/g, ' '))
  }
  return facts
}

/** The dated lines of an extractive summary: one per conversation, the customer's own words. */
function summaryLines(messages: MemoryMessage[]) {
  const byConversation = new Map<string, MemoryMessage[]>()
  for (const message of messages) {
    if (message.direction !== 'inbound' || !message.body.trim()) continue
    const list = byConversation.get(message.conversationId) ?? []
    list.push(message)
    byConversation.set(message.conversationId, list)
  }
  const lines: string[] = []
  for (const list of byConversation.values()) {
    // What the customer came about: their longest messages, in the order written.
    const chosen = [...list]
      .sort((a, b) => wordCount(b.body) - wordCount(a.body) || a.seq - b.seq)
      .slice(0, 2)
      .sort((a, b) => a.seq - b.seq)
      .filter((message) => wordCount(message.body) >= 2)
    if (!chosen.length) continue
    const quote = clip(chosen.map((message) => message.body).join(' / '), LINE_QUOTE)
    const day = list[list.length - 1].at.toISOString().slice(0, 10)
    lines.push(`${day}: ${quote}`)
  }
  return lines
}

function wordCount(text: string) {
  return text.split(/\s+/).filter(Boolean).length
}

/**
 * The previous summary's lines followed by one line per conversation in
 * `messages`; the oldest lines go first when it grows too long. A line
 * already there (the same messages read twice) is not added again.
 */
export function rollSummary(previous: string | null, messages: MemoryMessage[]) {
  const lines = (previous ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  for (const line of summaryLines(messages)) if (!lines.includes(line)) lines.push(line)
  while (
    lines.length > 1 &&
    (lines.length > SUMMARY_LINES || lines.join('\n').length > MAX_SUMMARY_CHARS)
  ) {
    lines.shift()
  }
  const summary = lines.join('\n').slice(0, MAX_SUMMARY_CHARS)
  return summary || null
}
