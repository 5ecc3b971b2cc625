import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import type { SearchHit } from '#modules/brain/services/search'
import { answerExtractively } from '#modules/brain/services/answers'
import { splitPassages } from '#modules/brain/services/answers/text_analysis'
import { contentTerms, normalizeArabic } from '#modules/brain/services/text_toolkit'
import { parseModelReply } from '#modules/brain/services/answers/model_answerer'
import { checkSupport } from '#modules/brain/services/answers/support_check'

/**
 * Retrieved chunks as searchKnowledge returns them: the answerers' input is
 * plain data, so these tests build it directly.
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

const LOCUM = hit(
  [
    '## 4. Locum cover',
    '',
    'Your cover follows you when you work as a locum. Locum engagements are covered automatically on the same terms as your regular practice, provided the work is within your declared specialty.',
    '',
    'If your locum work exceeds 90 days in total in a year, you must tell us before the 91st day.',
  ].join('\n'),
  { headingPath: ['4. Locum cover'], page: 7, url: 'https://broker.example/policy.pdf' },
  1
)
const CANCEL = hit(
  'You may cancel this policy within 14 days of receiving your documents and we will refund the premium in full. After that, a refund is pro rata less an administration fee of AED 350.',
  { headingPath: ['12. Cancellation'], title: 'Policy wording' },
  2
)
const EXCLUSIONS = hit(
  'Any cosmetic or aesthetic procedure performed for appearance rather than medical need, including dermal fillers and hair transplants, is excluded.',
  { headingPath: ['8. What we do not cover', '8.4 Cosmetic procedures'] },
  3
)

test.group('Extractive answers', () => {
  test('quotes the passage that answers the question and cites its source', ({ assert }) => {
    const answer = answerExtractively('Does the policy cover my locum work?', [
      LOCUM,
      CANCEL,
      EXCLUSIONS,
    ])
    assert.equal(answer.mode, 'extractive')
    assert.isFalse(answer.handoff)
    assert.isUndefined(answer.reason)
    assert.isAtLeast(answer.confidence, 0.35)
    assert.isAtMost(answer.confidence, 1)
    assert.lengthOf(answer.citations, 1)
    const [citation] = answer.citations
    assert.equal(citation.n, 1)
    assert.equal(citation.chunkId, LOCUM.chunkId)
    assert.equal(citation.sourceId, LOCUM.sourceId)
    assert.equal(citation.title, 'Malpractice policy wording')
    assert.deepEqual(citation.headingPath, ['4. Locum cover'])
    assert.equal(citation.page, 7)
    assert.equal(citation.url, 'https://broker.example/policy.pdf')
    assert.include(citation.quote, 'Locum engagements are covered automatically')
    assert.notInclude(citation.quote, '##')
    assert.include(answer.text, 'Locum engagements are covered automatically')
    assert.include(answer.text, '[1]')
  })

  test('a two-part question cites each passage it needs, numbered in order', ({ assert }) => {
    const answer = answerExtractively(
      'Are locum engagements covered, and what is the administration fee if I cancel?',
      [LOCUM, CANCEL, EXCLUSIONS]
    )
    assert.isFalse(answer.handoff)
    // The best-matching passage is cited first; each part has its own citation.
    assert.deepEqual(
      answer.citations.map((c) => c.n),
      [1, 2]
    )
    assert.sameMembers(
      answer.citations.map((c) => c.chunkId),
      [LOCUM.chunkId, CANCEL.chunkId]
    )
    const fee = answer.citations.find((c) => c.chunkId === CANCEL.chunkId)!
    assert.include(fee.quote, 'administration fee of AED 350')
    const locum = answer.citations.find((c) => c.chunkId === LOCUM.chunkId)!
    assert.include(locum.quote, 'Locum engagements are covered automatically')
    assert.match(answer.text, /\[1\][\s\S]*\[2\]/)
  })

  test('refuses instead of guessing when the passages do not cover the question', ({ assert }) => {
    const answer = answerExtractively('Is my car insured when I drive to a home visit?', [
      LOCUM,
      CANCEL,
      EXCLUSIONS,
    ])
    assert.isTrue(answer.handoff)
    assert.equal(answer.reason, 'not_covered')
    assert.deepEqual(answer.citations, [])
    assert.isBelow(answer.confidence, 0.35)
    assert.include(answer.text, "documents don't cover this question")
  })

  test('with nothing retrieved it says the knowledge has nothing on it', ({ assert }) => {
    const answer = answerExtractively('Does the policy cover locum work?', [])
    assert.isTrue(answer.handoff)
    assert.equal(answer.reason, 'no_knowledge')
    assert.equal(answer.confidence, 0)
    assert.deepEqual(answer.citations, [])
  })

  test('the threshold is the caller’s: a stricter one hands the same answer to a person', ({
    assert,
  }) => {
    const question = 'Does the policy cover my locum work?'
    const lenient = answerExtractively(question, [LOCUM, CANCEL])
    assert.isFalse(lenient.handoff)
    const strict = answerExtractively(question, [LOCUM, CANCEL], {
      threshold: Math.min(1, lenient.confidence + 0.01),
    })
    assert.isTrue(strict.handoff)
    assert.equal(strict.reason, 'not_covered')
    assert.deepEqual(strict.citations, [])
  })

  test('confidence is lower when only one retriever found the passage', ({ assert }) => {
    const question = 'What is the administration fee if I cancel?'
    const agreed = answerExtractively(question, [CANCEL])
    const lexicalOnly = answerExtractively(question, [
      { ...CANCEL, vectorRank: null, score: 1 / 61 },
    ])
    assert.isFalse(agreed.handoff)
    assert.isBelow(lexicalOnly.confidence, agreed.confidence)
  })

  test('a price-list row is quoted with the header that says what its numbers are', ({
    assert,
  }) => {
    const table = hit(
      [
        '| Plan | Specialty | Limit of indemnity (AED) | Annual premium (AED) | Excess (AED) |',
        '| --- | --- | --- | --- | --- |',
        '| Premier | Neurosurgery | 5000000 | 54300 | 25000 |',
        '| Premier | Obstetrics and Gynaecology | 5000000 | 61850 | 25000 |',
        '| Standard | Dentistry | 2500000 | 6875 | 5000 |',
      ].join('\n'),
      { title: 'Price list' }
    )
    const answer = answerExtractively('What is the annual premium for neurosurgery on Premier?', [
      table,
      CANCEL,
    ])
    assert.isFalse(answer.handoff)
    assert.equal(answer.citations[0].chunkId, table.chunkId)
    assert.include(answer.citations[0].quote, '54300')
    assert.notInclude(answer.citations[0].quote, '61850')
  })

  test('answers an Arabic question in Arabic, across spelling variants', ({ assert }) => {
    const faq = hit(
      'نعم، العمل كطبيب بديل مغطى تلقائياً بنفس الشروط، بشرط أن يكون ضمن تخصصك المعلن.\n\nيجب إبلاغ شركة التأمين كتابياً خلال ثلاثين يوماً من علمك بالمطالبة.',
      { title: 'الأسئلة الشائعة', headingPath: ['هل تغطي الوثيقة العمل كطبيب بديل؟'] }
    )
    // Written with a bare alef and ha for ta marbuta, as people type on phones.
    const answer = answerExtractively('هل العمل كطبيب بديل مغطي في الوثيقه؟', [faq, LOCUM])
    assert.isFalse(answer.handoff)
    assert.equal(answer.citations[0].chunkId, faq.chunkId)
    assert.include(answer.citations[0].quote, 'العمل كطبيب بديل مغطى تلقائياً')
    assert.notInclude(answer.citations[0].quote, 'ثلاثين')
    // The answer leads, in the document's own words.
    assert.isTrue(answer.text.startsWith('نعم، العمل كطبيب بديل مغطى تلقائياً'), answer.text)
  })

  test('refuses an Arabic question in Arabic', ({ assert }) => {
    const answer = answerExtractively('هل تغطي الوثيقة أضرار سيارتي الخاصة؟', [LOCUM, CANCEL])
    assert.isTrue(answer.handoff)
    assert.equal(answer.reason, 'not_covered')
    assert.include(answer.text, 'لا تتناول مستنداتنا هذا السؤال')
  })

  test('a channel’s language setting chooses the reply language', ({ assert }) => {
    const answer = answerExtractively('locum cover?', [], { language: 'arabic' })
    assert.include(answer.text, 'لا تتناول مستنداتنا')
    const english = answerExtractively('هل العمل كطبيب بديل مغطى؟', [], { language: 'english' })
    assert.include(english.text, "documents don't cover")
  })
})

test.group('Answer text analysis', () => {
  test('Arabic letter variants, diacritics and tatweel normalise to one form', ({ assert }) => {
    assert.equal(normalizeArabic('إبلاغ'), normalizeArabic('ابلاغ'))
    assert.equal(normalizeArabic('الوثيقة'), 'الوثيقه')
    assert.equal(normalizeArabic('مغطى'), 'مغطي')
    assert.equal(normalizeArabic('تأمـــين'), 'تامين')
    assert.equal(normalizeArabic('يوماً'), 'يوم')
    assert.equal(normalizeArabic('٣٠'), '30')
  })

  test('content terms drop stop words in both languages and unify word forms', ({ assert }) => {
    assert.deepEqual(contentTerms('Does my policy cover locum engagements?'), [
      'policy',
      'cover',
      'locum',
      'engage',
    ])
    assert.deepEqual(contentTerms('Is there a fee of AED 1,500?'), ['fee', 'aed', '1500'])
    assert.deepEqual(contentTerms('هل تغطي الوثيقة العمل في المستشفى؟'), [
      'تغط',
      'وثيق',
      'عمل',
      'مستشف',
    ])
  })

  test('chunks split into sentences and table rows; headings and page markers are dropped', ({
    assert,
  }) => {
    const passages = splitPassages(
      [
        '<!-- page: 3 -->',
        '## 9.1 Tell us quickly',
        'You must tell us in writing, e.g. by email to the claims team. Do it within 30 days of the incident! Call us any time.',
        '- **Do not** admit liability.',
        '',
        '| Plan | Premium |',
        '|---|---|',
        '| Gold | 100 |',
      ].join('\n')
    )
    assert.deepEqual(
      passages.map((p) => [p.text, p.context]),
      [
        ['You must tell us in writing, e.g. by email to the claims team.', ''],
        // Too short to quote alone, the last sentence stays with the one before.
        ['Do it within 30 days of the incident! Call us any time.', ''],
        ['Do not admit liability.', ''],
        ['Gold · 100', 'Plan · Premium'],
      ]
    )
  })
})

test.group('Model reply parsing', () => {
  test('reads the JSON object, also inside a code fence, and percent confidences', ({ assert }) => {
    const reply = parseModelReply(
      'Sure:\n```json\n{"answer": "Yes, locum work is covered [1].", "citations": [1], "covered": true, "confidence": 85}\n```'
    )
    assert.deepEqual(reply, {
      answer: 'Yes, locum work is covered [1].',
      citations: [1],
      covered: true,
      confidence: 0.85,
      malformed: false,
    })
  })

  test('prose that ignores the format is the answer; the marker means not covered', ({
    assert,
  }) => {
    assert.deepEqual(parseModelReply('Locum work is covered [2].'), {
      answer: 'Locum work is covered [2].',
      citations: [],
      covered: true,
      confidence: null,
      malformed: false,
    })
    assert.isFalse(parseModelReply('NOT_COVERED').covered)
    assert.isFalse(parseModelReply('not_covered.').covered)
    assert.isFalse(
      parseModelReply('{"answer": "NOT_COVERED", "citations": [], "covered": false}').covered
    )
    assert.isFalse(parseModelReply('{"answer": "", "covered": true}').covered)
  })

  test('JSON that does not parse, or an object without an answer, is malformed', ({ assert }) => {
    assert.isTrue(
      parseModelReply('{"answer": "Locum work is covered [1]", "citations": [1').malformed
    )
    assert.isTrue(parseModelReply('{"answer": "Yes [1]", "citations": [1],}').malformed)
    assert.isTrue(parseModelReply('{"reply": "Yes", "covered": true}').malformed)
    assert.isFalse(parseModelReply('{"answer": "NOT_COVERED", "covered": false}').malformed)
    assert.isFalse(parseModelReply('{"covered": false}').malformed)
  })
})

test.group('Support check of a model answer', () => {
  const passages = [
    'You may cancel within 14 days for a full refund. After that, a refund is pro rata less an administration fee of AED 350.',
    'Locum engagements are covered automatically within your declared specialty.',
  ]

  test('keeps sentences whose words and numbers its passages hold', ({ assert }) => {
    const checked = checkSupport(
      'Yes. After 14 days the refund is pro rata, less an administration fee of AED 350 [1]. Locum work is covered automatically [2].',
      passages
    )
    assert.deepEqual(checked.removed, [])
    assert.equal(checked.kept, 1)
    assert.include(checked.text, 'AED 350 [1].')
  })

  test('removes a sentence with a number or a claim the passages do not make', ({ assert }) => {
    const checked = checkSupport(
      'The administration fee is AED 500 [1]. We also offer free dental check-ups for members [1]. You may cancel within 14 days for a full refund [1].',
      passages
    )
    assert.lengthOf(checked.removed, 2)
    assert.equal(checked.text, 'You may cancel within 14 days for a full refund [1].')
  })

  test('across languages only numbers are checked', ({ assert }) => {
    const ok = checkSupport('يمكنك الإلغاء خلال 14 يوماً واسترداد المبلغ كاملاً [1].', passages)
    assert.lengthOf(ok.removed, 0)
    const wrong = checkSupport('رسوم الإدارة 500 درهم [1].', passages)
    assert.lengthOf(wrong.removed, 1)
  })
})
