import { test } from '@japa/runner'
import { LocalEmbedder, lexicalWords, normalizeArabic } from '#modules/brain/index'

const embedder = new LocalEmbedder()

function cosine(a: number[], b: number[]) {
  return a.reduce((sum, value, i) => sum + value * b[i], 0)
}

test.group('Local embedder', () => {
  test('gives the same unit-length vector for the same text, every time', async ({ assert }) => {
    const [a, b] = await embedder.embed(['Locum work is covered', 'Locum work is covered'])
    assert.lengthOf(a, 512)
    assert.deepEqual(a, b)
    assert.closeTo(Math.sqrt(cosine(a, a)), 1, 1e-9)
    assert.equal(embedder.model, 'local-lexical-v4')
    assert.equal(embedder.kind, 'local')
  })

  test('puts texts that share words and word pieces closer than unrelated ones', async ({
    assert,
  }) => {
    const [query, related, inflected, unrelated] = await embedder.embed([
      'is locum work covered',
      'Locum work is covered for up to 90 days',
      'locums working under cover',
      'Parking is free after six in the evening',
    ])
    assert.isAbove(cosine(query, related), cosine(query, unrelated))
    assert.isAbove(cosine(query, inflected), cosine(query, unrelated))
    assert.isAbove(cosine(query, related), 0.5)
  })

  test("puts a passage using a synonym of the question's word (the lexicon) closer, on both sides alike", async ({
    assert,
  }) => {
    const [question, synonym, other] = await embedder.embed([
      'can I be reimbursed',
      'Refunds are paid within a week',
      'Lockers are cleaned within a week',
    ])
    assert.isAbove(cosine(question, synonym), cosine(question, other))
    assert.isAbove(cosine(question, synonym), 0)
    // The same pair read the other way round: the feature is the group's, not the question's.
    const [asked, passage, unrelated] = await embedder.embed([
      'reimburse me',
      'Refunds are paid',
      'Lockers are cleaned',
    ])
    assert.isAbove(cosine(passage, asked), 0.1)
    assert.isAbove(cosine(passage, asked), cosine(passage, unrelated))
  })

  test('ignores common words, case and punctuation', async ({ assert }) => {
    const [a, b] = await embedder.embed(['The POLICY, of the clinic!', 'policy clinic'])
    assert.closeTo(cosine(a, b), 1, 1e-9)
  })

  test('folds Arabic spellings: diacritics, tatweel, alef forms, ta marbuta, alef maqsura', async ({
    assert,
  }) => {
    assert.equal(normalizeArabic('الوَثِيقَة'), 'الوثيقه')
    assert.equal(normalizeArabic('تغطـــي'), 'تغطي')
    assert.equal(normalizeArabic('أإآ'), 'ااا')
    assert.equal(normalizeArabic('مستشفى'), 'مستشفي')
    assert.equal(normalizeArabic('٢٠٢٥'), '2025')
    const [a, b] = await embedder.embed(['تُغطّي الوثيقةُ العملَ المؤقّت', 'تغطي الوثيقه العمل المؤقت'])
    assert.closeTo(cosine(a, b), 1, 1e-9)
  })

  test('splits words on anything that is not a letter or digit, in any script', ({ assert }) => {
    assert.deepEqual(lexicalWords('Policy #A-12: covers 90 days — نعم!'), [
      'policy',
      'a',
      '12',
      'covers',
      '90',
      'days',
      'نعم',
    ])
  })

  test('a text with no words is the zero vector', async ({ assert }) => {
    const [vector] = await embedder.embed(['?! ...'])
    assert.isTrue(vector.every((value) => value === 0))
  })
})
