import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import {
  createTextSource,
  findSource,
  ingestSource,
  readBrainSettings,
  searchKnowledge,
  upgradeLocalEmbeddings,
} from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { runAce, runCommand } from '#tests/helpers/ace'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { chunksOf, learnText } from '#tests/helpers/brain'

async function embeddingColumn(context: TenantContext) {
  return context.transaction(async (trx) => {
    const type = await trx.rawQuery(
      `select format_type(atttypid, atttypmod) as type from pg_attribute
        where attrelid = 'knowledge_chunks'::regclass and attname = 'embedding'`
    )
    const index = await trx.rawQuery(
      `select indexdef from pg_indexes where schemaname = current_schema()
          and indexname = 'knowledge_chunks_embedding'`
    )
    return { type: type.rows[0].type as string, index: (index.rows[0]?.indexdef ?? '') as string }
  })
}

function useModel(model: string | null) {
  const ai = app.config.get<any>('ai')
  app.config.set('ai', { ...ai, embedModel: model })
}

test.group('Embedding model change and brain:reembed', (group) => {
  const server = useFakeOpenAI(group, { embedModel: null })
  group.each.teardown(() => useModel(null))

  test('after a model change search falls back to full text, and reembed moves every chunk to the new model', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, cleanup: drop } = await makeTenant('reembed')
    cleanup(drop)
    const hours = await learnText(
      context,
      'Opening hours',
      'The clinic opens at nine and closes at five.'
    )
    assert.isNotNull((await searchKnowledge(context, 'when does the clinic open'))[0].vectorRank)
    assert.equal((await embeddingColumn(context)).type, 'vector(512)')

    useModel('fake-embed')
    // Old vectors and new queries are not comparable: full text alone answers.
    const meanwhile = await searchKnowledge(context, 'when does the clinic open')
    assert.equal(meanwhile[0].sourceId, hours.id)
    assert.isNull(meanwhile[0].vectorRank)
    // New knowledge is embedded by the new model, held for the swap.
    const parking = await learnText(context, 'Parking', 'Parking is free for patients after six.')
    assert.isTrue(
      (await chunksOf(context, parking.id)).every((c) => !c.embedded && c.embedded_next)
    )

    const env = { AI_BASE_URL: server.url, AI_API_KEY: 'k', AI_EMBED_MODEL: 'fake-embed' }
    const run = await runAce(['brain:reembed', '--tenant', tenant.slug, '--json'], env)
    assert.equal(run.code, 0, run.stderr)
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!)
    assert.deepInclude(result, {
      model: 'fake-embed',
      dimensions: 64,
      previousModel: 'local-lexical-v4',
      previousDimensions: 512,
    })
    assert.equal(result.chunks, hours.chunkCount + parking.chunkCount)
    assert.include(run.stderr, 'chunks')

    const column = await embeddingColumn(context)
    assert.equal(column.type, 'vector(64)')
    assert.include(column.index, 'hnsw')
    assert.include(column.index, 'vector_cosine_ops')
    const settings = await context.transaction((trx) => readBrainSettings(trx))
    assert.equal(settings.embedModel, 'fake-embed')
    assert.equal(settings.embedDimensions, 64)
    assert.isNull(settings.reembedModel)
    assert.isNotNull(settings.reembeddedAt)
    for (const source of [hours, parking]) {
      assert.isTrue(
        (await chunksOf(context, source.id)).every((c) => c.embedded && !c.embedded_next)
      )
    }
    const after = await searchKnowledge(context, 'when does the clinic open')
    assert.equal(after[0].sourceId, hours.id)
    assert.isNotNull(after[0].vectorRank)

    // Running it again is harmless.
    const rerun = await runAce(['brain:reembed', '--tenant', tenant.slug], env)
    assert.equal(rerun.code, 0, rerun.stderr)
    assert.include(rerun.stdout, 'chunks re-embedded with fake-embed')
    assert.equal((await embeddingColumn(context)).type, 'vector(64)')
    assert.isNotNull((await searchKnowledge(context, 'when does the clinic open'))[0].vectorRank)
  }).timeout(120_000)

  test('a tenant with no knowledge yet adopts the configured model on its first ingestion', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('reembed')
    cleanup(drop)
    useModel('fake-embed')
    const source = await learnText(context, 'Hours', 'We open at nine.')
    assert.equal(source.status, 'ready')
    assert.equal((await embeddingColumn(context)).type, 'vector(64)')
    assert.isTrue((await chunksOf(context, source.id)).every((c) => c.embedded))
    assert.isNotNull((await searchKnowledge(context, 'open at nine'))[0].vectorRank)
    assert.isAbove(server.embeddingCalls().length, 0)
  })

  test('an embedding refusal fails the source with a reason', async ({ assert, cleanup }) => {
    const { context, cleanup: drop } = await makeTenant('reembed')
    cleanup(drop)
    useModel('fake-embed')
    server.fail(404, 'model_not_found', 'The model `fake-embed` does not exist')
    const source = await createTextSource(context, { title: 'Hours', text: 'We open at nine.' })
    assert.equal(await ingestSource(context, source.id, source.version), 'failed')
    const failed = (await findSource(context, source.id))!
    assert.equal(failed.status, 'failed')
    assert.equal(failed.errorCode, 'embedding_failed')
    assert.include((failed.errorDetail as any).message, 'fake-embed')
  })

  test('after a local embedder upgrade, workers re-embed what the earlier version embedded; a remote model is left alone', async ({
    assert,
    cleanup,
  }) => {
    const old = await makeTenant('reembed')
    cleanup(old.cleanup)
    const remote = await makeTenant('reembed')
    cleanup(remote.cleanup)
    await learnText(old.context, 'Opening hours', 'The clinic opens at nine and closes at five.')
    await learnText(remote.context, 'Parking', 'Parking is free after six.')
    const current = (await old.context.transaction((trx) => readBrainSettings(trx))).embedModel!
    assert.match(current, /^local-lexical-v\d+$/)
    // As an earlier version left them: its vectors are not comparable, search is full text only.
    await old.context.transaction((trx) =>
      trx.rawQuery(`update brain_settings set embed_model = 'local-lexical-v1' where id`)
    )
    await remote.context.transaction((trx) =>
      trx.rawQuery(`update brain_settings set embed_model = 'text-embedding-3-small' where id`)
    )
    assert.isNull((await searchKnowledge(old.context, 'when does the clinic open'))[0].vectorRank)

    const upgraded = (await upgradeLocalEmbeddings()).filter((u) =>
      [old.tenant.slug, remote.tenant.slug].includes(u.tenant)
    )
    assert.deepEqual(upgraded, [
      { tenant: old.tenant.slug, previousModel: 'local-lexical-v1', model: current, chunks: 1 },
    ])
    const settings = await old.context.transaction((trx) => readBrainSettings(trx))
    assert.equal(settings.embedModel, current)
    assert.isNotNull(
      (await searchKnowledge(old.context, 'when does the clinic open'))[0].vectorRank
    )
    const untouched = await remote.context.transaction((trx) => readBrainSettings(trx))
    assert.equal(untouched.embedModel, 'text-embedding-3-small')
    // A second run finds nothing to do.
    const again = (await upgradeLocalEmbeddings()).filter((u) => u.tenant === old.tenant.slug)
    assert.deepEqual(again, [])
  }).timeout(120_000)

  test('an unknown tenant is refused', async ({ assert }) => {
    const run = await runCommand(['brain:reembed', '--tenant', 'no-such-tenant-here'])
    assert.equal(run.code, 1)
    assert.include(run.stderr + run.stdout, 'no-such-tenant-here')
  }).timeout(60_000)
})
