import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import type { SearchHit } from '#modules/brain/services/search'
import { answerExtractively } from '#modules/brain/services/answers'
import { rankByRarity } from '#modules/brain/services/answers'
import { askedFact, questionType } from '#modules/brain/services/answers/answer_type'
import { contentTerms, termMatch } from '#modules/brain/services/text_toolkit'

/*
| How the offline answerer chooses what answers: the sentence (or two
| neighbouring sentences) stating the asked kind of fact, and a confidence
| that falls when the question's telling words match nothing in particular
| or point to another document.
*/

function hit(text: string, overrides: Partial<SearchHit> = {}, rank = 1): SearchHit {
  return {
    chunkId: randomUUID(),
    sourceId: randomUUID(),
    title: 'Malpractice policy wording',
    headingPath: [],
    page: null,
    url: null,
    text,
    score: 2 / (60 + rank),
    lexicalRank: rank,
    vectorRank: rank,
    ...overrides,
  }
}

const POLICY = randomUUID()
const DISCIPLINARY = hit(
  'We will pay the legal costs of representing you at an inquiry or disciplinary hearing before a health authority or licensing body, where the inquiry concerns your healthcare services. Representation at disciplinary hearings is limited to AED 250,000 per period of insurance.',
  {
    sourceId: POLICY,
    headingPath: ['3. What we cover', '3.3 Disciplinary and regulatory hearings'],
  },
  1
)
const CLAIMS = hit(
  'You must tell us in writing as soon as possible, and in any event within 30 days, after you first become aware of a claim or of an incident that is likely to give rise to a claim. You can notify us by email at claims@insurer.example or by calling our 24-hour medico-legal helpline on 800 6374 2255.',
  { sourceId: POLICY, headingPath: ['9. How to make a claim', '9.1 Tell us quickly'] },
  2
)
const CLASSES = hit(
  'Group classes are free for members and are booked through the app up to 7 days ahead. If you miss three booked classes in a month without cancelling, you cannot book classes for the following 14 days.',
  { title: 'Club handbook', headingPath: ['Group classes'] },
  1
)
const BROKER = hit(
  'Harbourline Brokers is an independent insurance broker licensed by the insurance regulator, with offices in Dubai and Abu Dhabi.',
  { title: 'Insurance FAQ', headingPath: ['Who are Harbourline Brokers?'] },
  1
)
const LISTINGS = randomUUID()
const HEADER =
  '| Reference | Area | Type | Bedrooms | Annual rent (AED) |\n| --- | --- | --- | --- | --- |'
function listing(row: string, rank: number) {
  return hit(`${HEADER}\n${row}`, { sourceId: LISTINGS, title: 'Rental listings' }, rank)
}
const PRICES = randomUUID()
function price(row: string, rank: number) {
  return hit(
    `| Plan | Specialty | Annual premium (AED) |\n| --- | --- | --- |\n${row}`,
    { sourceId: PRICES, title: 'Price list' },
    rank
  )
}

test.group('Extractive answers | choosing what answers', () => {
  test('an answer spanning two neighbouring sentences quotes both', ({ assert }) => {
    const answer = answerExtractively(
      'Is there a cap on what you pay for my lawyer at a disciplinary hearing?',
      [DISCIPLINARY, CLAIMS]
    )
    assert.isFalse(answer.handoff)
    assert.lengthOf(answer.citations, 1)
    assert.include(answer.text, 'limited to AED 250,000')
    assert.include(answer.text, 'We will pay the legal costs')
  })

  test('the sentence stating the asked kind of fact is the one quoted', ({ assert }) => {
    const answer = answerExtractively('What number do I ring to report an incident at night?', [
      CLAIMS,
      DISCIPLINARY,
    ])
    assert.isFalse(answer.handoff)
    assert.include(answer.text, '800 6374 2255')
  })

  test('a yes/no question about a price is answered by a passage saying it is free', ({
    assert,
  }) => {
    assert.equal(questionType('Do I pay extra for group classes?'), 'yesno')
    assert.equal(askedFact('Do I pay extra for group classes?'), 'amount')
    const answer = answerExtractively('Do I pay extra for group classes?', [CLASSES, BROKER])
    assert.isFalse(answer.handoff)
    assert.include(answer.text, 'Group classes are free for members')
  })

  test('a street address is not answered by a passage naming only the city', ({ assert }) => {
    assert.equal(questionType('What is the street address of your Abu Dhabi office?'), 'address')
    const answer = answerExtractively('What is the street address of your Abu Dhabi office?', [
      BROKER,
      CLAIMS,
    ])
    assert.isTrue(answer.handoff)
  })

  test('words left unanswered that another document holds lower the confidence', ({ assert }) => {
    const hits = [
      BROKER,
      listing('| GV-105 | Arabian Ranches | Villa | 4 | 265000 |', 2),
      listing('| GV-109 | Mirdif | Villa | 5 | 230000 |', 3),
    ]
    const answer = answerExtractively('Do you have any villas for rent in Abu Dhabi?', hits)
    assert.isTrue(answer.handoff)
    const covered = answerExtractively('Do you have any villas for rent in Mirdif?', hits)
    assert.isFalse(covered.handoff)
    assert.include(covered.text, 'GV-109')
  })

  test('many passages matching alike (no row names the specialty) is not an answer', ({
    assert,
  }) => {
    const rows = [
      price('| Standard | Dentistry | 6875 |', 1),
      price('| Standard | Paediatrics | 9480 |', 2),
      price('| Standard | Dermatology | 7945 |', 3),
      price('| Premier | Neurosurgery | 54300 |', 4),
      price('| Premier | General Surgery | 31740 |', 5),
    ]
    const missing = answerExtractively('What is the annual premium for a psychiatrist?', rows)
    assert.isTrue(missing.handoff)
    const named = answerExtractively('What is the annual premium for a dentist on Standard?', rows)
    assert.isFalse(named.handoff)
    assert.include(named.text, '6875')
    assert.isAbove(named.confidence, missing.confidence)
  })
})

test.group('Text toolkit | matching a customer’s words', () => {
  test('numbers written as words meet their digits, in English and Arabic', ({ assert }) => {
    assert.includeMembers(contentTerms('park longer than three hours'), ['3'])
    assert.includeMembers(contentTerms('خلال ثلاثين يوماً'), ['30'])
    assert.includeMembers(contentTerms('بثلاثين دقيقة'), ['30'])
  })

  test('inflected stop words are stop words', ({ assert }) => {
    assert.notInclude(contentTerms('Our practice wants a discount'), 'want')
    assert.include(contentTerms('paying a claim'), 'pay')
  })

  test('a synonym meets other forms of its word', ({ assert }) => {
    const [restored] = contentTerms('restored')
    assert.isAtLeast(termMatch(restored, new Set(contentTerms('reinstatement'))), 0.8)
    const [advance] = contentTerms('advance')
    assert.isAtLeast(termMatch(advance, new Set(contentTerms('ahead'))), 0.8)
  })

  test('Arabic verbs meet their words with or without the person and tense letters', ({
    assert,
  }) => {
    const [keep] = contentTerms('تحتفظون')
    assert.isAtLeast(termMatch(keep, new Set(contentTerms('ونحتفظ بالمفقودات'))), 0.8)
    const [work] = contentTerms('أعمل')
    assert.isAtLeast(termMatch(work, new Set(contentTerms('العمل كطبيب بديل'))), 0.8)
  })
})

test.group('Answer retrieval | rarity', () => {
  test('the pool is re-ranked by how rare the question’s words are among it', ({ assert }) => {
    // Passages sharing the question's common words, as an insurer's are.
    const common = [
      'You can pay the annual premium in one payment, and the insurer confirms cover.',
      'The insurer will pay a patient compensation the insurer agrees.',
      'If the insurer pays a claim in full, you must repay the excess.',
      'A patient may complain to the insurer, and the insurer will pay defence costs.',
      'The insurer reviews the claims history of a patient-facing surgeon.',
      'We pay the cost of replacing patient records.',
    ].map((text, i) => hit(text, {}, i + 1))
    const courts = hit(
      'Claims brought in the courts of the United States of America or Canada are not covered.',
      { headingPath: ['7. Territorial and jurisdictional limits'] },
      9
    )
    const pool = [...common, courts]
    const ranked = rankByRarity(
      'If a patient takes me to court in America, will the insurer pay?',
      pool
    )
    assert.equal(ranked[0], courts)
  })
})
