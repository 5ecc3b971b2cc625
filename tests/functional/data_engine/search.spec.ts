import { test } from '@japa/runner'
import { searchDataset, type Dataset } from '#modules/data_engine/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { importListings, listing } from '#tests/helpers/datasets'

test.group('Dataset search', (group) => {
  let context: TenantContext
  let dataset: Dataset
  group.setup(async () => {
    const made = await makeTenant('dss')
    context = made.context
    dataset = await importListings(context, 1500)
    return () => made.cleanup()
  })

  test('"2br sea view JLT under 150k" becomes four filters and only matching rows come back', async ({
    assert,
  }) => {
    const result = await searchDataset(context, dataset, '2br sea view JLT under 150k')
    assert.deepEqual(result.parsedFilters, [
      { column: 'features', op: 'contains', value: 'sea view' },
      { column: 'community', op: 'eq', value: 'JLT' },
      { column: 'bedrooms', op: 'eq', value: 2 },
      { column: 'price', op: 'lte', value: 150000 },
    ])
    const expected = Array.from({ length: 1500 }, (_, i) => listing(i)).filter(
      (l) =>
        l.bedrooms === 2 &&
        l.community === 'JLT' &&
        l.price <= 150000 &&
        l.features.includes('sea view')
    )
    assert.isAbove(expected.length, 0)
    assert.sameMembers(
      result.results.map((hit) => hit.row.values.ref),
      expected.slice(0, 10).map((l) => l.ref)
    )
  })

  test('Arabic: "شقة غرفتين في JLT أقل من 150 ألف"', async ({ assert }) => {
    const result = await searchDataset(context, dataset, 'شقة غرفتين في JLT أقل من 150 ألف')
    assert.deepEqual(result.parsedFilters, [
      { column: 'community', op: 'eq', value: 'JLT' },
      { column: 'type', op: 'eq', value: 'Apartment' },
      { column: 'bedrooms', op: 'eq', value: 2 },
      { column: 'price', op: 'lte', value: 150000 },
    ])
    for (const hit of result.results) {
      assert.equal(hit.row.values.community, 'JLT')
      assert.isAtMost(hit.row.values.price as number, 150000)
    }
  })

  test('an impossible filter (a comparison on a text column) is dropped and said', async ({
    assert,
  }) => {
    const result = await searchDataset(context, dataset, 'title under 150k')
    assert.deepEqual(result.parsedFilters, [])
    assert.deepEqual(result.dropped, [
      { text: 'under 150k', reason: 'not_numeric', column: 'title' },
    ])
  })

  test('a removed chip no longer filters, and words left over rank the rows', async ({
    assert,
  }) => {
    const result = await searchDataset(context, dataset, 'villa in Palm Jumeirah with garden', {
      without: [1],
    })
    assert.lengthOf(result.parsedFilters, 3)
    assert.lengthOf(result.filters, 2)
    assert.isAbove(result.results.length, 0)
  })
})

test.group('Dataset search with a chat model', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })
  let context: TenantContext
  let dataset: Dataset
  group.setup(async () => {
    const made = await makeTenant('dsm')
    context = made.context
    dataset = await importListings(context, 100)
    return () => made.cleanup()
  })

  test('the model proposes filters under a schema made from the columns; they are checked and merged', async ({
    assert,
  }) => {
    ai.respond(() =>
      JSON.stringify({
        filters: [
          { column: 'bedrooms', op: 'gte', value: 3 },
          { column: 'community', op: 'eq', value: 'Downtown' },
          { column: 'title', op: 'lt', value: 5 },
          { column: 'nope', op: 'eq', value: 1 },
        ],
      })
    )
    const result = await searchDataset(
      context,
      dataset,
      'family home downtown, three bedrooms or more',
      {
        useModel: true,
      }
    )
    assert.equal(result.mode, 'model')
    const [call] = ai.chatCalls()
    assert.equal(call.body.response_format.type, 'json_schema')
    const schema = call.body.response_format.json_schema.schema
    const community = schema.properties.filters.items.anyOf.find(
      (b: any) => b.properties.column.const === 'community'
    )
    assert.includeMembers(community.properties.value.anyOf[0].enum, ['Downtown', 'JLT'])
    assert.deepInclude(result.filters, { column: 'community', op: 'eq', value: 'Downtown' })
    assert.deepInclude(result.filters, { column: 'bedrooms', op: 'gte', value: 3 })
    assert.deepEqual(
      result.dropped.map((d) => [d.column, d.reason]),
      [
        ['title', 'not_numeric'],
        [null, 'unknown_column'],
      ]
    )
    for (const hit of result.results) {
      assert.equal(hit.row.values.community, 'Downtown')
      assert.isAtLeast(hit.row.values.bedrooms as number, 3)
    }
  })

  test('a model that fails leaves the offline parse answering', async ({ assert }) => {
    ai.respond(() => ({ status: 500, body: { error: { message: 'down' } } }))
    const result = await searchDataset(context, dataset, '2br in JLT', { useModel: true })
    assert.equal(result.mode, 'offline')
    assert.deepEqual(result.parsedFilters, [
      { column: 'community', op: 'eq', value: 'JLT' },
      { column: 'bedrooms', op: 'eq', value: 2 },
    ])
  })
})
