import { test } from '@japa/runner'
import drive from '@adonisjs/drive/services/main'
import {
  SourceError,
  createFaqSource,
  createFileSource,
  createTextSource,
  createUrlSource,
  deleteSource,
  findSource,
  ingestSource,
  listSources,
  readBrainSettings,
  refetchSource,
  replaceSourceFile,
  searchKnowledge,
  updateSource,
  localEmbedder,
  type Embedder,
} from '#modules/brain/index'
import { makeTenant } from '#tests/helpers/tenants'
import { useWorkers } from '#tests/helpers/queue'
import { waitFor } from '#tests/helpers/whatsapp'
import { chunksOf, learnFaq, learnFile, learnText } from '#tests/helpers/brain'

const POLICY = `# Medical Malpractice Policy

## Cover

We cover claims made against you for professional negligence while you practise medicine.

## Locum work

Locum work is covered when you work as a locum tenens for up to 90 days a year at any hospital in the country.

## Exclusions

We do not cover cosmetic surgery, criminal acts or claims arising from work outside the country.`

test.group('Brain ingestion', () => {
  test('pasted text becomes searchable chunks with heading paths, full text and vectors', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    const source = await learnText(context, 'Malpractice policy', POLICY, ['policy'])

    assert.equal(source.status, 'ready')
    assert.equal(source.progress, 100)
    assert.isNull(source.stage)
    assert.equal(source.liveVersion, 1)
    assert.equal(source.language, 'english')
    assert.deepEqual(source.tags, ['policy'])
    assert.include(source.markdown!, 'Locum work')
    assert.match(source.contentHash!, /^[0-9a-f]{64}$/)

    const chunks = await chunksOf(context, source.id)
    assert.equal(source.chunkCount, chunks.length)
    assert.isAbove(chunks.length, 0)
    assert.isTrue(chunks.every((chunk) => chunk.embedded && chunk.text_config === 'english'))
    const locum = chunks.find((chunk) => chunk.content.includes('locum tenens'))!
    assert.include(locum.heading_path.join(' > '), 'Locum work')

    // The tenant's first ingestion adopted the local embedder.
    const settings = await context.transaction((trx) => readBrainSettings(trx))
    assert.equal(settings.embedModel, 'local-lexical-v4')
    assert.equal(settings.embedDimensions, 512)
  })

  test('FAQ pairs become one section per question', async ({ assert, cleanup }) => {
    const { context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    const source = await learnFaq(context, 'Clinic FAQ', [
      { question: 'When are you open?', answer: 'Monday to Friday, 9 am to 5 pm.' },
      { question: 'Do you take walk-ins?', answer: 'Only for emergencies.' },
    ])
    assert.equal(source.status, 'ready')
    const chunks = await chunksOf(context, source.id)
    const open = chunks.find((chunk) => chunk.content.includes('9 am'))!
    assert.include(open.heading_path, 'When are you open?')
    assert.notInclude(open.content, 'emergencies')
  })

  test('bad input is refused with a reason and a field, and nothing is stored', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    const refusal = async (work: () => Promise<unknown>) => {
      try {
        await work()
      } catch (error) {
        assert.instanceOf(error, SourceError)
        return error as SourceError
      }
      assert.fail('expected a SourceError')
    }

    assert.equal(
      (await refusal(() => createTextSource(context, { title: ' ', text: 'x' })))!.field,
      'title'
    )
    assert.equal(
      (await refusal(() => createTextSource(context, { title: 'T', text: '  ' })))!.code,
      'empty'
    )
    const incomplete = await refusal(() =>
      createFaqSource(context, { title: 'FAQ', pairs: [{ question: 'Why?', answer: '' }] })
    )
    assert.equal(incomplete!.code, 'incomplete_pair')
    assert.equal(
      (await refusal(() => createUrlSource(context, { url: 'ftp://example.com/x' })))!.code,
      'invalid_url'
    )
    assert.equal(
      (await refusal(() => createUrlSource(context, { url: 'not a url' })))!.field,
      'url'
    )
    const exe = await refusal(() =>
      createFileSource(context, { bytes: Buffer.from('MZ'), filename: 'setup.exe' })
    )
    assert.equal(exe!.code, 'unsupported_type')
    assert.equal(exe!.status, 415)
    const huge = await refusal(() =>
      createFileSource(context, { bytes: Buffer.alloc(26 * 1024 * 1024, 97), filename: 'big.txt' })
    )
    assert.equal(huge!.code, 'too_large')
    assert.include(huge!.message, '25 MB')
    assert.equal(
      (await refusal(() =>
        createTextSource(context, {
          title: 'T',
          text: 'x',
          tags: Array.from({ length: 21 }, (_, i) => `t${i}`),
        })
      ))!.field,
      'tags'
    )

    assert.lengthOf((await listSources(context)).data, 0)
  })

  test('progress is written while a long source is embedded', async ({ assert, cleanup }) => {
    const { context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    const sections = Array.from(
      { length: 300 },
      (_, i) =>
        `## Clause ${i + 1}\n\nClause ${i + 1} covers case number ${i * 7} of the schedule in full detail.`
    ).join('\n\n')
    const source = await createTextSource(context, { title: 'Long schedule', text: sections })

    // The source as it stands each time the embedder is called: the
    // embedder is the local one, taking a moment per batch as a remote
    // model would, so the throttled progress writes are all made.
    const snapshots: Array<{
      status: string
      stage: string | null
      progress: number
      done: number | null
      total: number | null
    }> = []
    const observed: Embedder = {
      kind: 'local',
      model: localEmbedder.model,
      dimensions: localEmbedder.dimensions,
      async embed(texts) {
        const row = (await findSource(context, source.id))!
        snapshots.push({
          status: row.status,
          stage: row.stage,
          progress: row.progress,
          done: row.stageDone,
          total: row.stageTotal,
        })
        await new Promise((resolve) => setTimeout(resolve, 300))
        return localEmbedder.embed(texts)
      },
    }
    await ingestSource(context, source.id, source.version, { embedder: observed })

    assert.isAtLeast(snapshots.length, 3)
    assert.isTrue(snapshots.every((snapshot) => snapshot.status === 'processing'))
    assert.equal(snapshots[0].stage, 'chunking')
    const embedding = snapshots.slice(1)
    assert.isTrue(embedding.every((snapshot) => snapshot.stage === 'embedding'))
    assert.deepEqual(
      embedding.map((snapshot) => snapshot.done),
      embedding.map((_, i) => 64 * (i + 1))
    )
    assert.isAtLeast(embedding[0].total!, 300)
    assert.isTrue(embedding.every((snapshot) => snapshot.total === embedding[0].total))
    assert.isTrue(
      embedding.every((snapshot, i) => i === 0 || snapshot.progress > embedding[i - 1].progress)
    )
    const done = (await findSource(context, source.id))!
    assert.equal(done.status, 'ready')
    assert.equal(done.progress, 100)
    assert.isNull(done.stageTotal)
  })

  test('running a job twice, or after a crash, ends in the same state', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    const source = await learnText(context, 'Policy', POLICY)
    const first = await chunksOf(context, source.id)

    // A redelivered job for the live version does nothing.
    assert.equal(await ingestSource(context, source.id, source.version), 'ready')
    assert.deepEqual(await chunksOf(context, source.id), first)

    // A worker died mid-way through version 2: the rerun finishes it.
    const again = await refetchSource(context, source.id)
    await context.transaction((trx) =>
      trx.rawQuery(
        `update knowledge_sources set status = 'processing', stage = 'embedding' where id = ?`,
        [source.id]
      )
    )
    assert.include(['ready', 'unchanged'], await ingestSource(context, source.id, again.version))
    const after = (await findSource(context, source.id))!
    assert.equal(after.status, 'ready')
    assert.equal(after.liveVersion, 2)
    const chunks = await chunksOf(context, source.id)
    assert.lengthOf(chunks, first.length)
    assert.isTrue(chunks.every((chunk) => chunk.source_version === 2))
  })

  test('a job for a superseded version changes nothing', async ({ assert, cleanup }) => {
    const { context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    const source = await createTextSource(context, { title: 'Policy', text: POLICY })
    await refetchSource(context, source.id)

    assert.equal(await ingestSource(context, source.id, 1), 'stale')
    const row = (await findSource(context, source.id))!
    assert.equal(row.status, 'queued')
    assert.equal(row.version, 2)
    assert.lengthOf(await chunksOf(context, source.id), 0)
  })

  test('an uploaded file is kept in tenant storage; replacing it swaps the chunks and the file', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    const v1 = await learnFile(context, 'prices.md', '# Prices\n\nA check-up costs 40 dollars.')
    assert.equal(v1.status, 'ready')
    assert.equal(v1.title, 'Prices')
    assert.equal(v1.fileName, 'prices.md')
    assert.match(v1.fileKey!, new RegExp(`^tenants/${tenant.id}/brain/${v1.id}/v1/`))
    assert.isTrue(await drive.use().exists(v1.fileKey!))

    const v2 = await replaceSourceFile(context, v1.id, {
      bytes: Buffer.from('# Prices 2025\n\nA check-up costs 55 dollars.'),
      filename: 'prices-2025.md',
    })
    assert.equal(v2.version, 2)
    await ingestSource(context, v1.id, 2)
    const after = (await findSource(context, v1.id))!
    assert.equal(after.liveVersion, 2)
    const chunks = await chunksOf(context, v1.id)
    assert.isTrue(chunks.every((chunk) => chunk.source_version === 2))
    assert.include(chunks.map((chunk) => chunk.content).join(' '), '55 dollars')
    assert.notInclude(chunks.map((chunk) => chunk.content).join(' '), '40 dollars')
    assert.isFalse(await drive.use().exists(v1.fileKey!))
    assert.isTrue(await drive.use().exists(after.fileKey!))

    assert.isTrue(await deleteSource(context, v1.id))
    assert.isFalse(await drive.use().exists(after.fileKey!))
    assert.lengthOf(await chunksOf(context, v1.id), 0)
  })

  test('a file that cannot be read fails with a reason, and an older version keeps answering', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    const good = await learnFile(
      context,
      'cover.txt',
      'Dental cover includes two cleanings a year.'
    )
    await replaceSourceFile(context, good.id, {
      bytes: Buffer.from('%PDF-1.7\n this is not really a pdf'),
      filename: 'cover.pdf',
    })
    assert.equal(await ingestSource(context, good.id, 2), 'failed')
    const failed = (await findSource(context, good.id))!
    assert.equal(failed.status, 'failed')
    assert.equal(failed.errorCode, 'corrupt')
    assert.isString((failed.errorDetail as any).message)
    assert.equal(failed.liveVersion, 1)

    const hits = await searchKnowledge(context, 'dental cleanings')
    assert.equal(hits[0]?.sourceId, good.id)
  })

  test('renaming and retagging a source reaches search at once', async ({ assert, cleanup }) => {
    const { context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    const source = await learnText(context, 'Notes', 'Parking is free for patients after six.')
    await updateSource(context, source.id, {
      title: 'Visitor parking',
      tags: ['Visitors', ' visitors ', 'site'],
    })
    const updated = (await findSource(context, source.id))!
    assert.deepEqual(updated.tags, ['Visitors', 'visitors', 'site'])
    const hits = await searchKnowledge(context, 'visitor', { filters: { tags: ['site'] } })
    assert.equal(hits[0]?.title, 'Visitor parking')
    assert.equal(hits[0]?.lexicalRank, 1)
  })

  test('sources list newest first, a page at a time, filtered by status and tag', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('brain')
    cleanup(drop)
    for (let i = 1; i <= 5; i++) {
      await createTextSource(context, {
        title: `Note ${i}`,
        text: `Note number ${i}`,
        tags: i % 2 ? ['odd'] : [],
      })
    }
    const first = await listSources(context, { limit: 2 })
    assert.deepEqual(
      first.data.map((source) => source.title),
      ['Note 5', 'Note 4']
    )
    const second = await listSources(context, { limit: 2, cursor: first.nextCursor })
    assert.deepEqual(
      second.data.map((source) => source.title),
      ['Note 3', 'Note 2']
    )
    const third = await listSources(context, { limit: 2, cursor: second.nextCursor })
    assert.deepEqual(
      third.data.map((source) => source.title),
      ['Note 1']
    )
    assert.isNull(third.nextCursor)
    assert.lengthOf((await listSources(context, { tag: 'odd' })).data, 3)
    assert.lengthOf((await listSources(context, { status: 'ready' })).data, 0)
    await assert.rejects(() => listSources(context, { cursor: 'garbage' }))
  })

  test('another tenant can neither see, change nor search these sources', async ({
    assert,
    cleanup,
  }) => {
    const owner = await makeTenant('brain-a')
    cleanup(owner.cleanup)
    const other = await makeTenant('brain-b')
    cleanup(other.cleanup)
    const source = await learnText(
      owner.context,
      'Secret pricing',
      'Our secret discount is forty percent.'
    )

    assert.isNull(await findSource(other.context, source.id))
    assert.isFalse(await deleteSource(other.context, source.id))
    for (const attempt of [
      () => refetchSource(other.context, source.id),
      () => updateSource(other.context, source.id, { title: 'Mine' }),
      () =>
        replaceSourceFile(other.context, source.id, { bytes: Buffer.from('x'), filename: 'x.txt' }),
    ]) {
      try {
        await attempt()
        assert.fail('expected not found')
      } catch (error) {
        assert.equal((error as SourceError).status, 404)
      }
    }
    assert.lengthOf(await searchKnowledge(other.context, 'secret discount'), 0)
    assert.lengthOf((await listSources(other.context)).data, 0)
    assert.equal((await findSource(owner.context, source.id))!.title, 'Secret pricing')
    assert.lengthOf(await searchKnowledge(owner.context, 'secret discount'), 1)
  })
})

test.group('Brain ingestion through the queue', (group) => {
  useWorkers(group, ['default'])

  test('a new source is ingested by a worker, and an unreachable page fails with a reason', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('brain-q')
    cleanup(drop)
    const source = await createTextSource(context, {
      title: 'Hours',
      text: 'We open at nine every weekday.',
    })
    assert.equal(source.status, 'queued')
    const ready = await waitFor(async () => {
      const row = await findSource(context, source.id)
      return row?.status === 'ready' ? row : null
    })
    assert.isAbove(ready.chunkCount, 0)

    // Nothing listens on port 9 (discard); the fetch fails for good.
    const page = await createUrlSource(context, { url: 'http://127.0.0.1:9/faq' })
    const failed = await waitFor(async () => {
      const row = await findSource(context, page.id)
      return row?.status === 'failed' ? row : null
    }, 60_000)
    assert.oneOf(failed.errorCode, ['fetch_failed', 'blocked_address'])
  }).timeout(90_000)
})
