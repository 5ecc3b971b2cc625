import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { makeTenant } from '#tests/helpers/tenants'
import { useOrderApi } from '#tests/helpers/order_api'
import { api, makeKey } from '../integrations/api_client.js'

/*
| /api/v1/connectors against real PostgreSQL and a local order API: create
| (201, secret stored encrypted and never shown), list, read, change only
| what is sent, test call (the request masked, the mapped fields and reply),
| delete; bad input answered 422 naming the field; the scopes; and another
| workspace's key gets 404 for every route and an empty list.
*/

type Cleanup = (fn: () => void | Promise<void>) => void

async function tenantWithKey(cleanup: Cleanup, scopes?: Parameters<typeof makeKey>[1]) {
  const made = await makeTenant('cnapi')
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant, scopes)
  return { ...made, token }
}

function orderConnector(base: string) {
  return {
    name: 'Order status',
    description: 'Where an order is',
    url_template: `${base}/orders/{{order}}`,
    auth_mode: 'bearer',
    auth_secret: 'sk-live-123456',
    parameters: [{ name: 'order', type: 'integer', pattern: '\\b(\\d{4,})\\b', example: '4471' }],
    mapping: [
      { name: 'status', path: '$.order.status' },
      { name: 'eta', path: '$.order.eta' },
    ],
    reply_template: 'Order {{order}}: {{status}}, {{eta}}',
    triggers: ['where is my order'],
    timeout_ms: 3000,
  }
}

test.group('API connectors', (group) => {
  const orders = useOrderApi(group)

  test('create (201), list, read, change what is sent, test call, delete', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    const created = await api('POST', '/api/v1/connectors', {
      token,
      body: orderConnector(orders.base),
    })
    assert.equal(created.status, 201, JSON.stringify(created.json))
    const id = created.json.id
    assert.match(id, /^[0-9a-f-]{36}$/)
    assert.equal(created.headers.get('location'), `/api/v1/connectors/${id}`)
    assert.equal(created.json.has_secret, true)
    assert.notInclude(created.text, 'sk-live-123456')
    assert.deepEqual(created.json.parameters, [
      {
        name: 'order',
        type: 'integer',
        pattern: '\\b(\\d{4,})\\b',
        required: true,
        example: '4471',
      },
    ])
    // Stored encrypted: the column holds no plain secret.
    const stored = await db.rawQuery(
      `select auth_secret from ${context.table('api_connectors')} where id = ?`,
      [id]
    )
    assert.notInclude(String(stored.rows[0].auth_secret), 'sk-live-123456')

    const list = await api('GET', '/api/v1/connectors', { token })
    assert.equal(list.status, 200)
    assert.deepEqual(
      list.json.data.map((c: any) => c.id),
      [id]
    )
    assert.isNull(list.json.next_cursor)
    assert.notInclude(list.text, 'sk-live-123456')

    const shown = await api('GET', `/api/v1/connectors/${id}`, { token })
    assert.equal(shown.status, 200)
    assert.equal(shown.json.reply_template, 'Order {{order}}: {{status}}, {{eta}}')

    // Only the fields sent change; the secret stays.
    const changed = await api('PATCH', `/api/v1/connectors/${id}`, {
      token,
      body: { reply_template: 'Order {{order}} is {{status}}', cache_seconds: 60 },
    })
    assert.equal(changed.status, 200, JSON.stringify(changed.json))
    assert.equal(changed.json.reply_template, 'Order {{order}} is {{status}}')
    assert.equal(changed.json.cache_seconds, 60)
    assert.equal(changed.json.name, 'Order status')
    assert.equal(changed.json.has_secret, true)

    const tried = await api('POST', `/api/v1/connectors/${id}/test`, {
      token,
      body: { inputs: { order: '4471' } },
    })
    assert.equal(tried.status, 200, JSON.stringify(tried.json))
    assert.isTrue(tried.json.ok)
    assert.equal(tried.json.status, 200)
    assert.deepEqual(tried.json.fields, { status: 'Out for delivery', eta: 'today 5pm' })
    assert.equal(tried.json.reply, 'Order 4471 is Out for delivery')
    assert.equal(tried.json.request.url, `${orders.base}/orders/4471`)
    assert.notInclude(tried.text, 'sk-live-123456')
    assert.equal(orders.seen.at(-1)!.headers.authorization, 'Bearer sk-live-123456')

    // A failed call is an answer, not an error: ok false and why.
    const missing = await api('POST', `/api/v1/connectors/${id}/test`, { token, body: {} })
    assert.equal(missing.status, 200)
    assert.isFalse(missing.json.ok)
    assert.equal(missing.json.error.code, 'missing_parameter')
    orders.status = 500
    const failing = await api('POST', `/api/v1/connectors/${id}/test`, {
      token,
      body: { inputs: { order: '4472' } },
    })
    assert.equal(failing.json.error.code, 'http_error')

    // No auth any more: the stored secret goes.
    const cleared = await api('PATCH', `/api/v1/connectors/${id}`, {
      token,
      body: { auth_mode: 'none', clear_secret: true },
    })
    assert.equal(cleared.status, 200)
    assert.equal(cleared.json.has_secret, false)

    const deleted = await api('DELETE', `/api/v1/connectors/${id}`, { token })
    assert.equal(deleted.status, 204)
    const gone = await api('GET', `/api/v1/connectors/${id}`, { token })
    assert.equal(gone.status, 404)
    assert.equal(gone.json.error.code, 'not_found')
  })

  test('bad input: 422 naming the field, unknown fields refused', async ({ assert, cleanup }) => {
    const { token } = await tenantWithKey(cleanup)
    const base = orderConnector(orders.base)
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, reply_template: 'Order {{nope}}' }, 'reply_template'],
      [{ ...base, url_template: `${orders.base}/orders/{{missing}}` }, 'url_template'],
      [{ ...base, auth_secret: undefined }, 'auth_secret'],
      [{ ...base, mapping: [{ name: 'status', path: 'order status' }] }, 'mapping'],
      [{ ...base, timeout_ms: 10 }, 'timeout_ms'],
      [{ ...base, mapping: [] }, 'mapping'],
      [{ ...base, colour: 'red' }, 'colour'],
    ]
    for (const [body, field] of cases) {
      const answer = await api('POST', '/api/v1/connectors', { token, body })
      assert.equal(answer.status, 422, `${field}: ${JSON.stringify(answer.json)}`)
      assert.property(answer.json.error.fields ?? {}, field, JSON.stringify(answer.json))
    }
    const list = await api('GET', '/api/v1/connectors', { token })
    assert.deepEqual(list.json.data, [])
    const created = await api('POST', '/api/v1/connectors', { token, body: base })
    const wrong = await api('PATCH', `/api/v1/connectors/${created.json.id}`, {
      token,
      body: { parameters: [{ name: 'order no', type: 'integer' }] },
    })
    assert.equal(wrong.status, 422)
    assert.property(wrong.json.error.fields, 'parameters')
  })

  test('scopes: connectors:read lists and reads; creating, changing, testing and deleting need connectors:write', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('cnscope')
    cleanup(made.cleanup)
    const writer = await makeKey(made.tenant, ['connectors:write'])
    const reader = await makeKey(made.tenant, ['connectors:read'])
    const other = await makeKey(made.tenant, ['datasets:write'])
    const created = await api('POST', '/api/v1/connectors', {
      token: writer.token,
      body: orderConnector(orders.base),
    })
    assert.equal(created.status, 201)
    const id = created.json.id
    assert.equal((await api('GET', '/api/v1/connectors', { token: writer.token })).status, 200)
    assert.equal((await api('GET', '/api/v1/connectors', { token: reader.token })).status, 200)
    assert.equal(
      (await api('GET', `/api/v1/connectors/${id}`, { token: reader.token })).status,
      200
    )
    const refused: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/connectors', orderConnector(orders.base)],
      ['PATCH', `/api/v1/connectors/${id}`, { name: 'x' }],
      ['POST', `/api/v1/connectors/${id}/test`, { inputs: { order: '1234' } }],
      ['DELETE', `/api/v1/connectors/${id}`],
    ]
    for (const [method, path, body] of refused) {
      const answer = await api(method, path, { token: reader.token, body })
      assert.equal(answer.status, 403, `${method} ${path}`)
      assert.equal(answer.json.error.code, 'insufficient_scope', `${method} ${path}`)
    }
    const none = await api('GET', '/api/v1/connectors', { token: other.token })
    assert.equal(none.status, 403)
    assert.lengthOf(orders.seen, 0)
  })

  test('isolation: another workspace’s key gets 404 for every route and an empty list', async ({
    assert,
    cleanup,
  }) => {
    const home = await tenantWithKey(cleanup)
    const other = await tenantWithKey(cleanup)
    const created = await api('POST', '/api/v1/connectors', {
      token: home.token,
      body: orderConnector(orders.base),
    })
    const id = created.json.id
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/connectors/${id}`],
      ['PATCH', `/api/v1/connectors/${id}`, { name: 'Hijacked' }],
      ['POST', `/api/v1/connectors/${id}/test`, { inputs: { order: '4471' } }],
      ['DELETE', `/api/v1/connectors/${id}`],
    ]
    for (const [method, path, body] of attempts) {
      const answer = await api(method, path, { token: other.token, body })
      assert.equal(answer.status, 404, `${method} ${path}`)
      assert.equal(answer.json.error.code, 'not_found', `${method} ${path}`)
    }
    const list = await api('GET', '/api/v1/connectors', { token: other.token })
    assert.deepEqual(list.json, { data: [], next_cursor: null })
    assert.lengthOf(orders.seen, 0)
    const still = await api('GET', `/api/v1/connectors/${id}`, { token: home.token })
    assert.equal(still.json.name, 'Order status')
  })
})
