import { test } from '@japa/runner'
import { makeTenant } from '#tests/helpers/tenants'
import { api, makeKey } from '../integrations/api_client.js'
import { listing } from '#tests/helpers/datasets'

type Cleanup = (fn: () => void | Promise<void>) => void

async function tenantWithKey(cleanup: Cleanup, scopes?: Parameters<typeof makeKey>[1]) {
  const made = await makeTenant('dsapi')
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant, scopes)
  return { ...made, token }
}

const COLUMNS = [
  { name: 'ref', type: 'text' },
  { name: 'community', type: 'choice', synonyms: ['area'] },
  { name: 'bedrooms', type: 'integer', synonyms: ['br', 'bed'] },
  { name: 'price', type: 'money', currency: 'AED' },
  { name: 'features', type: 'text', searchable: true },
]

function rows(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const l = listing(from + i)
    return {
      ref: l.ref,
      community: l.community,
      bedrooms: l.bedrooms,
      price: l.price,
      features: l.features,
    }
  })
}

test.group('API datasets', () => {
  test('create with columns (201, id), upsert rows by key, page through rows, search with parsed filters', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const created = await api('POST', '/api/v1/datasets', {
      token,
      body: { name: 'Listings', key_column: 'ref', columns: COLUMNS },
    })
    assert.equal(created.status, 201)
    assert.match(created.json.id, /^[0-9a-f-]{36}$/)
    assert.equal(created.headers.get('location'), `/api/v1/datasets/${created.json.id}`)
    assert.deepEqual(
      created.json.columns.map((c: any) => [c.name, c.type]),
      COLUMNS.map((c) => [c.name, c.type])
    )
    const id = created.json.id

    const first = await api('POST', `/api/v1/datasets/${id}/rows`, {
      token,
      body: { rows: [...rows(0, 300), { ref: 'bad', bedrooms: 'two' }] },
    })
    assert.equal(first.status, 200, JSON.stringify(first.json))
    assert.deepEqual(first.json, {
      inserted: 300,
      updated: 0,
      errors: [{ row: 300, column: 'bedrooms', message: '“two” is not a whole number' }],
    })
    const again = await api('POST', `/api/v1/datasets/${id}/rows`, {
      token,
      body: { rows: [{ ...rows(0, 1)[0], price: 1 }, ...rows(300, 2)] },
    })
    assert.deepEqual(again.json, { inserted: 2, updated: 1, errors: [] })

    const page1 = await api('GET', `/api/v1/datasets/${id}/rows?limit=100`, { token })
    assert.equal(page1.status, 200)
    assert.lengthOf(page1.json.data, 100)
    assert.equal(page1.json.data[0].price, 1)
    let cursor = page1.json.next_cursor
    let seen = page1.json.data.length
    while (cursor) {
      const next = await api('GET', `/api/v1/datasets/${id}/rows?limit=100&cursor=${cursor}`, {
        token,
      })
      seen += next.json.data.length
      cursor = next.json.next_cursor
    }
    assert.equal(seen, 302)

    const search = await api('POST', `/api/v1/datasets/${id}/search`, {
      token,
      body: { query: '2br in JLT under 200k', k: 5 },
    })
    assert.equal(search.status, 200)
    assert.deepEqual(search.json.parsed_filters, [
      { column: 'community', op: 'eq', value: 'JLT' },
      { column: 'bedrooms', op: 'eq', value: 2 },
      { column: 'price', op: 'lte', value: 200000 },
    ])
    assert.isAbove(search.json.results.length, 0)
    for (const hit of search.json.results) {
      assert.include(hit.row, { community: 'JLT', bedrooms: 2 })
      assert.isAtMost(hit.row.price, 200000)
      assert.isNumber(hit.score)
    }

    const extra = await api('POST', `/api/v1/datasets/${id}/search`, {
      token,
      body: {
        query: 'JLT',
        filters: [
          { column: 'bedrooms', op: 'gte', value: 3 },
          { column: 'ref', op: 'lt', value: 5 },
        ],
      },
    })
    assert.deepEqual(extra.json.dropped, [
      { text: 'ref lt 5', reason: 'not_numeric', column: 'ref' },
    ])
    for (const hit of extra.json.results) assert.isAtLeast(hit.row.bedrooms, 3)
  })

  test('columns omitted are inferred from the first rows, which are written', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const created = await api('POST', '/api/v1/datasets', {
      token,
      body: {
        name: 'Products',
        key_column: 'sku',
        rows: [
          { sku: 'A1', name: 'Kettle', price: 'AED 99', in_stock: 'yes' },
          { sku: 'A2', name: 'Toaster', price: 'AED 149.50', in_stock: 'no' },
        ],
      },
    })
    assert.equal(created.status, 201)
    assert.deepEqual(
      created.json.columns.map((c: any) => [c.name, c.type]),
      [
        ['sku', 'text'],
        ['name', 'text'],
        ['price', 'money'],
        ['in_stock', 'boolean'],
      ]
    )
    assert.include(created.json, { inserted: 2, updated: 0, row_count: 2 })
  })

  test('scopes: datasets:read reads and searches, writing needs datasets:write', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, token } = await tenantWithKey(cleanup)
    const { token: reader } = await makeKey(tenant, ['datasets:read'])
    const { token: other } = await makeKey(tenant, ['contacts:read'])
    const created = await api('POST', '/api/v1/datasets', {
      token,
      body: { name: 'Listings', columns: COLUMNS },
    })
    const id = created.json.id
    assert.equal((await api('GET', `/api/v1/datasets/${id}/rows`, { token: reader })).status, 200)
    assert.equal(
      (await api('POST', `/api/v1/datasets/${id}/search`, { token: reader, body: { query: 'x' } }))
        .status,
      200
    )
    const refused = await api('POST', `/api/v1/datasets/${id}/rows`, {
      token: reader,
      body: { rows: [] },
    })
    assert.equal(refused.status, 403)
    assert.equal((await api('GET', '/api/v1/datasets', { token: other })).status, 403)
  })

  test("another tenant's dataset is not found (404), never 403", async ({ assert, cleanup }) => {
    const a = await tenantWithKey(cleanup)
    const b = await tenantWithKey(cleanup)
    const created = await api('POST', '/api/v1/datasets', {
      token: a.token,
      body: { name: 'Secret listings', columns: COLUMNS, rows: rows(0, 5) },
    })
    const id = created.json.id
    for (const [method, path, body] of [
      ['GET', `/api/v1/datasets/${id}`, undefined],
      ['GET', `/api/v1/datasets/${id}/rows`, undefined],
      ['POST', `/api/v1/datasets/${id}/rows`, { rows: rows(10, 1) }],
      ['POST', `/api/v1/datasets/${id}/search`, { query: 'JLT' }],
      ['DELETE', `/api/v1/datasets/${id}`, undefined],
    ] as const) {
      const response = await api(method, path, { token: b.token, body })
      assert.equal(response.status, 404, `${method} ${path}`)
      assert.equal(response.json.error.code, 'not_found')
    }
    const list = await api('GET', '/api/v1/datasets', { token: b.token })
    assert.deepEqual(list.json.data, [])
    const mine = await api('GET', `/api/v1/datasets/${id}`, { token: a.token })
    assert.equal(mine.json.row_count, 5)
    assert.equal((await api('DELETE', `/api/v1/datasets/${id}`, { token: a.token })).status, 204)
    assert.equal((await api('GET', `/api/v1/datasets/${id}`, { token: a.token })).status, 404)
  })
})
