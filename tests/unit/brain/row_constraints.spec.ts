import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import type { SearchHit } from '#modules/brain/services/search'
import { answerExtractively } from '#modules/brain/services/answers'
import {
  contradictedRows,
  recordFields,
  rowAnswer,
} from '#modules/brain/services/answers/row_constraints'
import { unknownNames } from '#modules/brain/services/answers/extractive_answerer'
import { contentTerms, expandQuery, termMatch } from '#modules/brain/services/text_toolkit'

/*
| Rows that contradict the question are no answer (another area, type,
| bedrooms or tenure than asked), names no passage knows lower the
| confidence, and the lexicon joins a customer's words to a document's in
| English and Arabic.
*/

const LISTINGS_TITLE = 'Available rental listings'
const ROWS = [
  'Reference: GV-101; Area: Jumeirah Lake Towers; Type: Apartment; Bedrooms: 1; Annual rent (AED): 78000; Pets allowed: No',
  'Reference: GV-102; Area: Jumeirah Lake Towers; Type: Apartment; Bedrooms: 2; Annual rent (AED): 115000; Pets allowed: Yes',
  'Reference: GV-103; Area: Dubai Marina; Type: Apartment; Bedrooms: Studio; Annual rent (AED): 62000; Pets allowed: No',
  'Reference: GV-105; Area: Arabian Ranches; Type: Villa; Bedrooms: 4; Annual rent (AED): 265000; Pets allowed: Yes',
  'Reference: GV-110; Area: Business Bay; Type: Apartment; Bedrooms: 1; Annual rent (AED): 98000; Pets allowed: No',
]
const rows = (title = LISTINGS_TITLE) => ROWS.map((text) => ({ text, context: '', title }))

/** Which of ROWS the question leaves standing, by reference. */
function standing(question: string, title = LISTINGS_TITLE) {
  const ruledOut = contradictedRows(question, rows(title))
  return ROWS.filter((_, i) => !ruledOut[i]).map((row) => /GV-\d+/.exec(row)![0])
}

function listingsHit(): SearchHit {
  return {
    chunkId: randomUUID(),
    sourceId: randomUUID(),
    title: LISTINGS_TITLE,
    headingPath: ['listings'],
    page: null,
    url: null,
    text: ROWS.map((row) => `- ${row}`).join('\n'),
    score: 2 / 61,
    lexicalRank: 1,
    vectorRank: 1,
  }
}

test.group('Row constraints | reading rows', () => {
  test('a CSV record and a table row are read as fields; prose is not a row', ({ assert }) => {
    assert.deepEqual(recordFields({ text: 'Area: Dubai Marina; Type: Villa', context: '' }), [
      { column: 'Area', value: 'Dubai Marina' },
      { column: 'Type', value: 'Villa' },
    ])
    assert.deepEqual(recordFields({ text: 'GV-1 · Mirdif', context: 'Reference · Area' }), [
      { column: 'Reference', value: 'GV-1' },
      { column: 'Area', value: 'Mirdif' },
    ])
    assert.isNull(
      recordFields({ text: 'Towels are free; lockers are free too.', context: '' }),
      'prose with a semicolon'
    )
    assert.deepEqual(
      contradictedRows('Is there a villa for sale?', [
        { text: 'We rent out flats and sell nothing.', context: '' },
      ]),
      [false],
      'prose is never ruled out'
    )
  })
})

test.group('Row constraints | a row the question rules out', () => {
  test('an area named by its words or initials keeps only its rows', ({ assert }) => {
    assert.deepEqual(standing('What is the rent for the flat in JLT?'), ['GV-101', 'GV-102'])
    assert.deepEqual(standing('how much is the marina one'), ['GV-103'])
  })

  test('a type, "studio" or a number of bedrooms rules out the other rows', ({ assert }) => {
    assert.deepEqual(standing('Do you have a studio in Business Bay?'), [])
    assert.deepEqual(standing('the 2 bedroom in JLT, is it furnished?'), ['GV-102'])
    assert.deepEqual(standing('Can I keep a dog in the villa?'), ['GV-105'])
    // "flat" is the lexicon's word for an apartment.
    assert.deepEqual(standing('any flat with pets allowed?'), [
      'GV-101',
      'GV-102',
      'GV-103',
      'GV-110',
    ])
  })

  test('a value is named by all its words even when each is shared with another', ({ assert }) => {
    const prices = [
      'Plan: Premier; Specialty: General Surgery; Annual premium (AED): 41200',
      'Plan: Premier; Specialty: General Practice; Annual premium (AED): 9100',
      'Plan: Premier; Specialty: Orthopaedic Surgery; Annual premium (AED): 38920',
    ].map((text) => ({ text, context: '' }))
    assert.deepEqual(contradictedRows('What is the Premier premium for general surgery?', prices), [
      false,
      true,
      true,
    ])
    assert.deepEqual(
      contradictedRows('What is the Premier premium for surgery?', prices),
      [false, false, false],
      'one shared word names no value'
    )
  })

  test('a number after "under" or "more than" names no row', ({ assert }) => {
    assert.lengthOf(standing('anything with more than 2 bedrooms?'), ROWS.length)
    assert.lengthOf(standing('a place for under 3 people'), ROWS.length)
  })

  test('rent or sale, and kinds of property the table never lists, in English and Arabic', ({
    assert,
  }) => {
    assert.deepEqual(standing('Is the JLT flat for sale?'), [])
    assert.deepEqual(standing('I want to buy a villa'), [])
    assert.deepEqual(standing('هل الشقة في دبي مارينا للبيع؟'), [])
    // Rent is what the rows offer; a flat (شقة) is not the villa.
    assert.deepEqual(standing('كم ايجار الشقة؟', 'Listings'), [
      'GV-101',
      'GV-102',
      'GV-103',
      'GV-110',
    ])
    assert.deepEqual(standing('Do you have office space in Business Bay?'), [])
    // Without a word for the tenure anywhere in the row, "sale" rules nothing out.
    assert.lengthOf(
      contradictedRows('any villa for sale?', [
        { text: 'Area: Mirdif; Type: Villa; Bedrooms: 5', context: '', title: 'Listings' },
      ]).filter(Boolean),
      0
    )
  })

  test('the answerer answers from the row asked about, and refuses when every row contradicts', ({
    assert,
  }) => {
    const hits = [listingsHit()]
    const studio = answerExtractively('How much is the studio in Dubai Marina per year?', hits)
    assert.isFalse(studio.handoff)
    assert.include(studio.text, 'GV-103')
    assert.notInclude(studio.text, 'GV-110')

    for (const question of [
      'How much is the studio in Business Bay per year?',
      'How much is the villa in JLT per year?',
      'How much is the 2 bedroom flat in Dubai Marina for sale?',
    ]) {
      const answer = answerExtractively(question, hits)
      assert.isTrue(answer.handoff, question)
      assert.lengthOf(answer.citations, 0, question)
    }
  })
})

test.group('Row constraints | a row as an answer', () => {
  test('the fields asked about lead; the fields naming the row and the rest follow', ({
    assert,
  }) => {
    const asked = (question: string) => new Set(contentTerms(question))
    assert.equal(
      rowAnswer(ROWS[1], asked('What is the rent for the 2 bedroom flat in JLT?')),
      'Annual rent (AED): 115000. Reference: GV-102; Area: Jumeirah Lake Towers; Type: Apartment; Bedrooms: 2; Pets allowed: Yes'
    )
    assert.match(
      rowAnswer(ROWS[3], asked('Can I keep a dog in the villa?')),
      /^Pets allowed: Yes\. Reference: GV-105/
    )
    // Nothing asked about, or prose: as written.
    assert.equal(rowAnswer(ROWS[0], asked('Tell me about GV-101')), ROWS[0])
    assert.equal(rowAnswer('Towels are free.', asked('towels')), 'Towels are free.')

    const answer = answerExtractively('How much is the villa in Arabian Ranches per year?', [
      listingsHit(),
    ])
    assert.match(answer.text, /^Annual rent \(AED\): 265000\. Reference: GV-105/)
    assert.include(answer.citations[0].quote, 'Reference: GV-105; Area: Arabian Ranches')
  })
})

test.group('Names no passage knows', () => {
  test('a place the passages never mention lowers the confidence below the threshold', ({
    assert,
  }) => {
    const hits = [listingsHit()]
    assert.isTrue(unknownNames('Do you have any villas for rent in Sharjah?', hits))
    assert.isFalse(unknownNames('Do you have any villas for rent in Arabian Ranches?', hits))
    assert.isFalse(unknownNames('Do you have anything in JLT?', hits), 'initials of a name')
    assert.isFalse(unknownNames('I’m looking for a villa', hits), 'a sentence’s own words')
    assert.isFalse(
      unknownNames(
        'Hi there, I am Sara Haddad. Is the villa in Arabian Ranches free? URGENT please',
        hits
      ),
      'the customer’s own name and shouted words are not names'
    )
    assert.isTrue(unknownNames('Hello Omar here, anything in Al Furjan?', hits))

    const known = answerExtractively('How much is the villa in Arabian Ranches per year?', hits)
    const unknown = answerExtractively('How much is the villa in Sharjah per year?', hits)
    assert.isFalse(known.handoff)
    assert.isTrue(unknown.handoff)
    assert.isBelow(unknown.confidence, known.confidence)
  })
})

test.group('Lexicon | a customer’s words and a document’s', () => {
  const matches = (asked: string, written: string) =>
    termMatch(contentTerms(asked)[0], new Set(contentTerms(written)))

  test('insurance, listings and club words in English', ({ assert }) => {
    assert.isAtLeast(matches('deductible', 'the excess applies per claim'), 0.8)
    assert.isAtLeast(matches('hackers', 'a cyber attack'), 0.8)
    assert.isAtLeast(matches('paperwork', 'documents you must send'), 0.8)
    assert.isAtLeast(matches('coach', 'personal trainer'), 0.8)
    assert.isAtLeast(matches('subscription', 'your membership'), 0.8)
    assert.include(expandQuery('Is the garage included?'), 'parking')
  })

  test('Arabic words and verbs with their person and tense letters', ({ assert }) => {
    assert.isAtLeast(matches('سأسافر', 'التجميد للسفر'), 0.8)
    assert.isAtLeast(matches('اسافر', 'التجميد للسفر'), 0.8)
    assert.isAtLeast(matches('المتقاعد', 'عند التقاعد'), 0.8)
    assert.isAtLeast(matches('اجار', 'الإيجار السنوي'), 0.8)
  })

  test('phrases mean the one word they stand for, in the question and the passage', ({
    assert,
  }) => {
    assert.deepEqual(contentTerms('What do I need to sign up?'), ['join'])
    assert.include(contentTerms('How soon must I let the insurer know?'), 'notify')
    assert.include(contentTerms('Can my limit be topped back up?'), 'reinstate')
    assert.include(contentTerms('Can I put my membership on hold?'), 'freeze')
    // Signing a declaration is not joining.
    assert.notInclude(contentTerms('Guests must sign the health declaration'), 'join')
    assert.equal(matches('sign', 'You join at reception'), 0)
  })

  test('a short word does not match inside a long one', ({ assert }) => {
    assert.equal(matches('cardiologist', 'pay by card'), 0)
    // A typo that drops letters at the end still matches.
    assert.isAtLeast(matches('openng', 'opening hours'), 0.7)
  })
})

test.group('Row constraints | follow-ups and bursts', () => {
  test('a follow-up naming rows itself decides; one that does not is read with the question before', ({
    assert,
  }) => {
    // "and the villa in Arabian Ranches?" after asking about the 2 bedroom flat in JLT.
    assert.deepEqual(
      standing('and the villa in Arabian Ranches?\nWhat is the rent of the 2 bedroom flat in JLT?'),
      ['GV-105']
    )
    // A burst: "hi", "is the flat in JLT still free", "the 2 bedroom one".
    assert.deepEqual(standing('hi\nis the flat in JLT still free\nthe 2 bedroom one'), ['GV-102'])
    // "and the price?" names nothing: the question before decides.
    assert.deepEqual(standing('and the price?\nIs the studio furnished?'), ['GV-103'])
  })
})
