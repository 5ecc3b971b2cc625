import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { searchKnowledge } from '#modules/brain/index'
import { makeTenant } from '#tests/helpers/tenants'
import { learnText } from '#tests/helpers/brain'

/*
| The full-text side ranks at most `brain.searchRankPool` passages (1000 by
| default), filled from the most telling down. Here the pool is shrunk to 20
| so that 80 passages are "a large knowledge base".
*/
const CROWD = Array.from(
  { length: 80 },
  (_, i) => `## Ward ${i}\n\nThe policy covers work on ward ${i} of the hospital.`
).join('\n\n')

test.group('Brain search | a knowledge base larger than the ranking pool', (group) => {
  group.each.setup(() => {
    const previous = app.config.get<Record<string, unknown>>('brain')
    app.config.set('brain', { ...previous, searchRankPool: 20 })
    return () => app.config.set('brain', previous)
  })

  test('the passage with the rare word is ranked though 80 hold the common ones', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('spool')
    cleanup(drop)
    await learnText(context, 'Hospital wards', CROWD)
    const locum = await learnText(
      context,
      'Engagements',
      'Locum tenens engagements are covered for ninety days.'
    )
    const question = 'Is my locum work covered by the policy?'

    // Ranking every match, 80 passages holding "work", "cover" and
    // "policy" outrank the one holding "locum" and "cover", past the 50
    // candidates; the pool takes the rare word's passage first.
    const hits = await searchKnowledge(context, question, { k: 50 })
    const found = hits.find((hit) => hit.sourceId === locum.id)
    assert.isDefined(found)
    assert.isNotNull(found!.lexicalRank)

    // With the statistics ANALYZE keeps, "locum" is known to be the rarest.
    await context.transaction((trx) => trx.rawQuery('analyze knowledge_chunks'))
    const analysed = await searchKnowledge(context, question, { k: 50 })
    assert.isNotNull(analysed.find((hit) => hit.sourceId === locum.id)!.lexicalRank)

    // Passages holding every term come before the rest, and at most the
    // pool is ranked.
    const all = await searchKnowledge(context, 'policy covers work on ward 7', { k: 50 })
    assert.equal(all[0].text, 'The policy covers work on ward 7 of the hospital.')
    assert.equal(all[0].lexicalRank, 1)
    assert.isAtMost(all.filter((hit) => hit.lexicalRank !== null).length, 20)
  })

  test('a question word finds a passage holding only its synonym, through full text', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('spool')
    cleanup(drop)
    await learnText(context, 'Hospital wards', CROWD)
    const rules = await learnText(
      context,
      'Membership rules',
      'Members may terminate the agreement with thirty days of written notice.'
    )
    // "quit" is in no passage; the lexicon's "terminate" is: the full-text
    // side matches the question's term or any of its synonyms, in the
    // tiers of a large knowledge base (the pool here is 20) and when every
    // match is ranked (pool of 1000), before and after ANALYZE.
    const lexicalRankOf = async () => {
      const hits = await searchKnowledge(context, 'Can I quit?', { k: 50 })
      return hits.find((hit) => hit.sourceId === rules.id)?.lexicalRank ?? null
    }
    assert.equal(await lexicalRankOf(), 1)
    await context.transaction((trx) => trx.rawQuery('analyze knowledge_chunks'))
    assert.equal(await lexicalRankOf(), 1)
    const previous = app.config.get<Record<string, unknown>>('brain')
    app.config.set('brain', { ...previous, searchRankPool: 1000 })
    assert.equal(await lexicalRankOf(), 1)
    // A word the lexicon does not know matches only itself.
    const hits = await searchKnowledge(context, 'Can I leave?', { k: 50 })
    assert.isUndefined(hits.find((hit) => hit.sourceId === rules.id && hit.lexicalRank !== null))
  })
})
