import { test } from '@japa/runner'
import { localEmbedder } from '#modules/brain/index'
import { embedRows, vectorText } from '#modules/data_engine/services/row_table'

/*
| Rows are embedded by the data engine's own loop (no string per feature),
| which must give the local embedder's vector folded to 128 dimensions, as
| rows stored before it and every query do.
*/

function foldedLocal(vector: number[]) {
  const folded = new Array<number>(128).fill(0)
  vector.forEach((value, i) => (folded[i % 128] += value))
  const norm = Math.hypot(...folded)
  return norm > 0 ? folded.map((value) => value / norm) : folded
}

const TEXTS = [
  '2 bedroom apartment in JLT · JLT · Apartment · sea view, balcony',
  'شقة غرفتين في مرسى دبي · إطلالة بحرية',
  'Studio studio studio Marina Heights 2BR with full sea view and balcony',
  'iPhone 15 Pro — 256GB, Black Titanium (A17)',
  'the a of',
  '',
  'x',
  // Thousands of features: the feature table grows past its first size mid-row.
  Array.from({ length: 1500 }, (_, i) => `listing${i} tower ${i % 37} view${i % 11}`).join(' '),
]

test.group('Data engine: row vectors', () => {
  test('are the local embedder’s vectors folded to 128 dimensions', async ({ assert }) => {
    // Twice: the second pass reuses the feature table the first grew.
    await embedRows(TEXTS)
    const expected = (await localEmbedder.embed(TEXTS)).map(foldedLocal)
    const actual = await embedRows(TEXTS)
    TEXTS.forEach((text, i) => {
      assert.lengthOf(actual[i], 128)
      const worst = Math.max(...actual[i].map((value, d) => Math.abs(value - expected[i][d])))
      assert.isBelow(worst, 1e-12, text.slice(0, 80))
      assert.equal(vectorText(actual[i]), vectorText(expected[i]))
    })
  })
})
