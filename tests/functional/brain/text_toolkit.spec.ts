import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { searchKnowledge } from '#modules/brain/index'
import {
  contentTerms,
  lexicalWords,
  normalizeArabic,
  normalizeArabicSql,
} from '#modules/brain/services/text_toolkit'
import { makeTenant } from '#tests/helpers/tenants'
import { learnText } from '#tests/helpers/brain'

/*
| The one text toolkit: a question and a passage that spell the same words
| differently (hamza forms, ta marbuta, alef maqsura, diacritics, tatweel,
| Arabic-Indic digits, tanween) meet in the full-text index (folded in SQL),
| in the local embedder and in the answerer (folded in JavaScript), because
| both run the toolkit's one set of rules.
*/

const PASSAGE = `# وثيقة التأمين

تُغطّي الوثيقةُ العملَ المؤقّت في المستشفى لمدة ٣٠ يوماً، ويجب إبلاغ الشركة خلال أسبوعٍ.`

const QUESTION = 'هل تغطي الوثيقه العمل الموقت في المستشفي لمده 30 يوم وابلاغ الشركه'

test.group('Text toolkit', () => {
  test('the database folds Arabic exactly as the application does', async ({ assert }) => {
    const samples = [
      PASSAGE,
      QUESTION,
      'أإآٱ ى ة ؤ ئ ـــ ١٢٣ ۴۵۶ يوماً شكراً الوَثِيقَة',
      'Mixed English 250,000 AED and تأمين',
      // Persian-keyboard keheh, Farsi yeh, ae and heh with yeh.
      'کم یوم تأمینە الوثيقۀ',
    ]
    for (const sample of samples) {
      const result = await db.rawQuery(`select ${normalizeArabicSql('?::text')} as folded`, [
        sample,
      ])
      assert.equal(result.rows[0].folded, normalizeArabic(sample), sample)
    }
    assert.equal(normalizeArabic('کم یوم'), 'كم يوم')
  })

  test('a question and a passage spelled differently match in full text, vectors and the answerer', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('toolkit')
    cleanup(drop)
    const source = await learnText(context, 'وثيقة التأمين', PASSAGE)
    await learnText(context, 'ساعات العمل', 'نفتح من الأحد إلى الخميس من التاسعة صباحاً.')

    const [hit] = await searchKnowledge(context, QUESTION, { k: 3 })
    assert.equal(hit.sourceId, source.id)
    assert.isNotNull(hit.lexicalRank, 'full text finds the passage')
    assert.equal(hit.lexicalRank, 1)
    assert.equal(hit.vectorRank, 1)

    // Word for word, the embedder and the answerer see the question's words in the passage.
    const passageWords = new Set(lexicalWords(PASSAGE))
    for (const word of ['الوثيقه', 'المستشفي', '30', 'ابلاغ', 'الشركه', 'يوم']) {
      assert.isTrue(passageWords.has(word), word)
    }
    const passageTerms = new Set(contentTerms(PASSAGE))
    for (const term of contentTerms(QUESTION)) assert.isTrue(passageTerms.has(term), term)
  })
})
