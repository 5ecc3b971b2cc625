import { test } from '@japa/runner'
import {
  createTextSource,
  findSource,
  ingestSource,
  replaceSourceFile,
  searchKnowledge,
} from '#modules/brain/index'
import { makeTenant } from '#tests/helpers/tenants'
import { chunksOf, learnFaq, learnFile, learnText } from '#tests/helpers/brain'

const POLICY = `# Medical Malpractice Policy

## Locum work

Locum work is covered when you work as a locum tenens for up to 90 days a year.

## Exclusions

We do not cover cosmetic surgery or criminal acts.

## Claims

To make a claim, call the claims line within 30 days and quote your policy number.`

const PRICES = `# Price list

## Consultations

A first consultation costs 80 dollars; follow-up visits cost 50 dollars.

## Vaccinations

Travel vaccinations cost 35 dollars per dose.`

test.group('Brain search', () => {
  test('the passage that answers ranks first, found by both full text and vectors', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('search')
    cleanup(drop)
    const policy = await learnText(context, 'Malpractice policy', POLICY)
    await learnText(context, 'Prices', PRICES)

    const hits = await searchKnowledge(context, 'Is locum work covered by my policy?', { k: 3 })
    assert.isAtMost(hits.length, 3)
    assert.equal(hits[0].sourceId, policy.id)
    assert.include(hits[0].text, 'locum tenens')
    assert.include(hits[0].headingPath, 'Locum work')
    assert.equal(hits[0].title, 'Malpractice policy')
    assert.equal(hits[0].lexicalRank, 1)
    assert.equal(hits[0].vectorRank, 1)
    assert.closeTo(hits[0].score, 2 / 61, 1e-9)
    for (let i = 1; i < hits.length; i++) assert.isAtMost(hits[i].score, hits[i - 1].score)

    const price = await searchKnowledge(context, 'how much are vaccinations for travel', { k: 1 })
    assert.include(price[0].text, '35 dollars')
  })

  test('inflected and misspelt words still match through the character n-gram vectors', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('search')
    cleanup(drop)
    await learnText(context, 'Malpractice policy', POLICY)
    await learnText(context, 'Prices', PRICES)
    const hits = await searchKnowledge(context, 'vacinnation prise', { k: 2 })
    assert.include(hits[0].text, 'vaccinations')
    assert.isNotNull(hits[0].vectorRank)
  })

  test('filters by source and by tag', async ({ assert, cleanup }) => {
    const { context, cleanup: drop } = await makeTenant('search')
    cleanup(drop)
    const policy = await learnText(context, 'Malpractice policy', POLICY, ['policy'])
    const prices = await learnText(context, 'Prices', PRICES, ['pricing', 'public'])

    const bySource = await searchKnowledge(context, 'how much does a claim cost', {
      k: 10,
      filters: { sourceIds: [prices.id] },
    })
    assert.isAbove(bySource.length, 0)
    assert.isTrue(bySource.every((hit) => hit.sourceId === prices.id))

    const byTag = await searchKnowledge(context, 'how much does a claim cost', {
      k: 10,
      filters: { tags: ['policy'] },
    })
    assert.isAbove(byTag.length, 0)
    assert.isTrue(byTag.every((hit) => hit.sourceId === policy.id))

    assert.lengthOf(
      await searchKnowledge(context, 'claim', { filters: { tags: ['nothing-has-this'] } }),
      0
    )
    assert.lengthOf(
      await searchKnowledge(context, 'claim', { filters: { sourceIds: ['nope'] } }),
      0
    )
    assert.isAbove(
      (await searchKnowledge(context, 'claim', { filters: { sourceIds: [] } })).length,
      0
    )
  })

  test('a narrow filter still finds its nearest chunks among many others (iterative index scan)', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('search')
    cleanup(drop)
    // Thousands of chunks close to the query, in one source: the global
    // nearest 100 are all theirs, so a filter applied after a plain HNSW scan
    // would keep none (the planner may also answer a narrow filter exactly,
    // through the source index; either way the chunk must be found)...
    const crowd = Array.from(
      { length: 2500 },
      (_, i) =>
        `## Renewal note ${i}\n\nRenewal reminder number ${i}: renew the annual premium before it lapses.`
    ).join('\n\n')
    await learnText(context, 'Renewal notes', crowd)
    // ...and the filtered source, further from the query than all of them.
    const narrow = await learnText(
      context,
      'Archive',
      'Renewing premiums annually: reminders went out in March.',
      ['archive']
    )

    const query = 'renewal reminder annual premium'
    const hits = await searchKnowledge(context, query, {
      k: 5,
      filters: { sourceIds: [narrow.id] },
    })
    assert.lengthOf(hits, 1)
    assert.equal(hits[0].sourceId, narrow.id)
    assert.isNotNull(hits[0].vectorRank)
    const tagged = await searchKnowledge(context, query, { k: 5, filters: { tags: ['archive'] } })
    assert.deepEqual(
      tagged.map((hit) => [hit.sourceId, hit.vectorRank]),
      [[narrow.id, 1]]
    )
  }).timeout(120_000)

  test('Arabic questions find Arabic passages whatever the spelling', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('search')
    cleanup(drop)
    const faq = await learnFaq(context, 'الأسئلة الشائعة', [
      {
        question: 'هل تغطي الوثيقة العمل المؤقت؟',
        answer: 'نعم، تغطي الوثيقة العمل المؤقت في المستشفيات لمدة تصل إلى تسعين يوماً في السنة.',
      },
      { question: 'ما هي ساعات العمل؟', answer: 'نعمل من الأحد إلى الخميس من التاسعة صباحاً.' },
    ])
    await learnText(context, 'Prices', PRICES)
    assert.equal(faq.language, 'arabic')

    // Without hamza, with a diacritic and tatweel: the same words to a reader.
    const hits = await searchKnowledge(context, 'هل الوثيقة تُغطـي العمل المؤقت في المستشفيات', {
      k: 2,
    })
    assert.equal(hits[0].sourceId, faq.id)
    assert.include(hits[0].text, 'تسعين')
    assert.isNotNull(hits[0].lexicalRank)
    assert.isNotNull(hits[0].vectorRank)
  })

  test('searches during a re-upload see the old chunks or the new ones, never a mix', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('search')
    cleanup(drop)
    const version = (marker: string) =>
      Array.from(
        { length: 60 },
        (_, i) =>
          `## Benefit ${i}\n\nBenefit ${i} of the plan, edition ${marker}, pays hospital costs.`
      ).join('\n\n')
    const source = await learnFile(context, 'plan.md', version('alpha'))
    await replaceSourceFile(context, source.id, {
      bytes: Buffer.from(version('bravo')),
      filename: 'plan.md',
    })

    const editions = new Set<string>()
    let ingesting = true
    const searcher = (async () => {
      while (ingesting) {
        const hits = await searchKnowledge(context, 'benefit hospital costs plan', { k: 50 })
        const seen = new Set(hits.map((hit) => (hit.text.includes('alpha') ? 'alpha' : 'bravo')))
        assert.equal(seen.size, 1, 'one search saw chunks of two versions')
        assert.lengthOf(hits, 50)
        editions.add([...seen][0])
      }
    })()
    await ingestSource(context, source.id, 2)
    ingesting = false
    await searcher
    const last = await searchKnowledge(context, 'benefit hospital costs plan', { k: 50 })
    assert.isTrue(last.every((hit) => hit.text.includes('bravo')))
    assert.isTrue(editions.has('alpha') || editions.has('bravo'))
  }).timeout(60_000)

  test('a source waiting for its first ingestion is not searched', async ({ assert, cleanup }) => {
    const { context, cleanup: drop } = await makeTenant('search')
    cleanup(drop)
    const waiting = await createTextSource(context, {
      title: 'Pending',
      text: 'Zebra crossings are painted weekly.',
    })
    assert.lengthOf(await searchKnowledge(context, 'zebra crossings'), 0)
    await ingestSource(context, waiting.id, waiting.version)
    assert.equal((await findSource(context, waiting.id))!.status, 'ready')
    assert.lengthOf(await searchKnowledge(context, 'zebra crossings'), 1)
    assert.isAbove((await chunksOf(context, waiting.id)).length, 0)
  })

  test('an empty or stop-word-only question returns nothing rather than failing', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('search')
    cleanup(drop)
    await learnText(context, 'Prices', PRICES)
    assert.lengthOf(await searchKnowledge(context, '   '), 0)
    assert.lengthOf(await searchKnowledge(context, 'the of and', { k: 3 }), 0)
  })
})
