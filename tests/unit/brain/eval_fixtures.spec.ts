import { test } from '@japa/runner'
import { readFileSync, readdirSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import { foldText } from '#modules/brain/services/text_toolkit'

/**
 * The evaluation set behind `npm run eval:brain`. Its numbers mean nothing
 * if a question points at a passage that does not exist, so the set itself
 * is checked here.
 */
const DIR = app.makePath('tests/fixtures/brain')

interface Question {
  id: string
  question: string
  language: 'en' | 'ar'
  answerable: boolean
  expected: Array<{ source: string; contains: string }>
  phrasing: 'source' | 'unlike'
  split: 'tune' | 'heldout'
  fact?: string
}

function loadQuestions(): Question[] {
  return JSON.parse(readFileSync(`${DIR}/questions.json`, 'utf8'))
}

const ARABIC = /[\u0600-\u06FF]/

test.group('Brain evaluation set', () => {
  test('every question is well formed', ({ assert }) => {
    const questions = loadQuestions()
    assert.isArray(questions)
    const ids = new Set<string>()
    for (const q of questions) {
      const label = JSON.stringify(q.id)
      assert.deepEqual(
        Object.keys(q).sort(),
        ['answerable', 'expected', 'id', 'language', 'phrasing', 'question', 'split']
          .concat('fact' in q ? ['fact'] : [])
          .sort(),
        `${label}: fields`
      )
      assert.match(q.id, /^[a-z0-9-]+$/, `${label}: id`)
      assert.isFalse(ids.has(q.id), `${label}: duplicate id`)
      ids.add(q.id)
      assert.isString(q.question)
      assert.isAbove(q.question.trim().length, 10, `${label}: question`)
      assert.oneOf(q.language, ['en', 'ar'], `${label}: language`)
      assert.equal(ARABIC.test(q.question), q.language === 'ar', `${label}: language matches text`)
      assert.isBoolean(q.answerable, `${label}: answerable`)
      assert.isArray(q.expected)
      if (q.answerable)
        assert.isNotEmpty(q.expected, `${label}: an answerable question names its passage`)
      else assert.isEmpty(q.expected, `${label}: an unanswerable question has no passage`)
    }
  })

  test('the set is large and varied enough to measure', ({ assert }) => {
    const questions = loadQuestions()
    assert.isAtLeast(questions.length, 100)
    assert.isAtLeast(questions.filter((q) => !q.answerable).length, 15)
    assert.isAtLeast(questions.filter((q) => q.language === 'ar').length, 25)
    assert.isAtLeast(questions.filter((q) => q.language === 'ar' && !q.answerable).length, 5)
    // A third phrased unlike the source, and a held-out part with both kinds.
    assert.isAtLeast(questions.filter((q) => q.phrasing === 'unlike').length * 3, questions.length)
    const heldout = questions.filter((q) => q.split === 'heldout')
    assert.isAtLeast(heldout.length, 15)
    assert.isAtLeast(heldout.filter((q) => !q.answerable).length, 3)
    assert.isAtLeast(heldout.filter((q) => q.language === 'ar').length, 5)
    const sources = new Set(questions.flatMap((q) => q.expected.map((e) => e.source)))
    for (const file of [
      'policy_wording.md',
      'faq_en.md',
      'faq_ar.md',
      'price_list.csv',
      'club_handbook.md',
      'club_handbook_ar.md',
      'listings.csv',
    ]) {
      assert.isTrue(sources.has(file), `some question is answered by ${file}`)
    }
  })

  test('every expected phrase occurs, exactly, in the fixture it names', ({ assert }) => {
    const fixtures = new Set(readdirSync(DIR))
    for (const q of loadQuestions()) {
      for (const expected of q.expected) {
        assert.isTrue(fixtures.has(expected.source), `${q.id}: ${expected.source} exists`)
        const text = readFileSync(`${DIR}/${expected.source}`, 'utf8')
        assert.isAtLeast(expected.contains.trim().length, 4, `${q.id}: phrase is distinctive`)
        assert.include(text, expected.contains, `${q.id}: phrase in ${expected.source}`)
      }
      // The fact a right answer states is in one of the expected passages' documents.
      if (q.fact) {
        const texts = q.expected.map((e) => foldText(readFileSync(`${DIR}/${e.source}`, 'utf8')))
        assert.isTrue(
          texts.some((text) => text.includes(foldText(q.fact!))),
          `${q.id}: fact “${q.fact}” in its document`
        )
      }
    }
  })

  test('the price list is a clean CSV with one row per plan and specialty', ({ assert }) => {
    const [header, ...rows] = readFileSync(`${DIR}/price_list.csv`, 'utf8').trim().split('\n')
    assert.deepEqual(header.split(','), [
      'Plan',
      'Specialty',
      'Limit of indemnity (AED)',
      'Annual premium (AED)',
      'Excess (AED)',
    ])
    const keys = new Set<string>()
    for (const row of rows) {
      const cells = row.split(',')
      assert.lengthOf(cells, 5, row)
      for (const number of cells.slice(2)) assert.match(number, /^\d+$/, row)
      assert.isFalse(keys.has(`${cells[0]}/${cells[1]}`), `${row}: duplicate`)
      keys.add(`${cells[0]}/${cells[1]}`)
    }
  })

  test('the policy wording is a realistic length and covers the usual sections', ({ assert }) => {
    const policy = readFileSync(`${DIR}/policy_wording.md`, 'utf8')
    const words = policy.split(/\s+/).filter(Boolean).length
    assert.isAtLeast(words, 3000)
    assert.isAtMost(words, 5000)
    for (const heading of [
      'Definitions',
      'What we cover',
      'Locum cover',
      'What we do not cover',
      'How to make a claim',
      'Territorial and jurisdictional limits',
      'Retroactive date',
      'excess',
      'Cancellation',
    ]) {
      assert.match(policy, new RegExp(`^#+ .*${heading}`, 'mi'), heading)
    }
  })
})
