import { DateTime } from 'luxon'
import { normalizeArabic } from '#modules/brain/index'
import type { Choice, QuestionData } from './graph.js'

/*
| Reading a customer's answer: a typed reply to buttons or a list (by title,
| by its number, or a close spelling), and a question's typed answer
| checked against its kind.
*/

/** Case, punctuation, spacing, Arabic letter forms and digits do not matter. */
export function foldAnswer(text: string) {
  return normalizeArabic(text.normalize('NFKC').toLowerCase())
    .replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
}

/** Levenshtein distance, stopping early once it passes `limit`. */
export function editDistance(a: string, b: string, limit = 3) {
  if (Math.abs(a.length - b.length) > limit) return limit + 1
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    let best = i
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      )
      best = Math.min(best, current[j])
    }
    if (best > limit) return limit + 1
    previous = current
  }
  return previous[b.length]
}

/**
 * Which choice a typed answer means: the tapped id, its title, its number
 * ("2", "٢", "2."), or a close spelling (one edit for short titles, two
 * from 8 characters) when exactly one title is that close. Null: not
 * understood.
 */
export function matchChoice(
  answer: { text: string | null; choiceId?: string | null },
  choices: Choice[]
): Choice | null {
  if (answer.choiceId) {
    const tapped = choices.find((c) => c.id === answer.choiceId)
    if (tapped) return tapped
  }
  const said = foldAnswer(answer.text ?? '')
  if (!said) return null
  const byTitle = choices.find((c) => foldAnswer(c.title) === said)
  if (byTitle) return byTitle
  if (/^\d{1,2}$/.test(said)) {
    const index = Number(said) - 1
    return choices[index] ?? null
  }
  const close = choices.filter((c) => {
    const title = foldAnswer(c.title)
    const allowed = title.length >= 8 ? 2 : title.length >= 4 ? 1 : 0
    return allowed > 0 && editDistance(said, title, allowed) <= allowed
  })
  return close.length === 1 ? close[0] : null
}

/** A question's answer as stored, or null when it does not fit the kind. */
export function readAnswer(question: QuestionData, text: string | null): string | number | null {
  const raw = (text ?? '').trim()
  if (!raw) return null
  switch (question.kind) {
    case 'number': {
      const value = Number(
        raw.replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660)).replace(/,/g, '')
      )
      if (!Number.isFinite(value)) return null
      if (question.min !== undefined && value < question.min) return null
      if (question.max !== undefined && value > question.max) return null
      return value
    }
    case 'email':
      return /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(raw) ? raw.toLowerCase() : null
    case 'phone': {
      const digits = raw.replace(/[\s().-]/g, '')
      return /^\+?\d{7,15}$/.test(digits) ? digits : null
    }
    case 'date': {
      for (const format of ['yyyy-MM-dd', 'd/M/yyyy', 'd.M.yyyy', 'd-M-yyyy']) {
        const date = DateTime.fromFormat(raw, format)
        if (date.isValid) return date.toISODate()
      }
      return null
    }
    case 'choice': {
      const choices = (question.choices ?? []).map((title, i) => ({ id: String(i), title }))
      return matchChoice({ text: raw }, choices)?.title ?? null
    }
    default: {
      if (question.pattern && !new RegExp(question.pattern).test(raw)) return null
      return raw.slice(0, 1000)
    }
  }
}
