import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import { readAssistantSettings, saveAssistantSettings } from '#modules/brain/index'
import {
  callConnector,
  createConnector,
  findConnector,
  matchConnector,
  readJsonPath,
  updateConnector,
  type ConnectorInput,
} from '#modules/data_engine/index'
import type { TenantContext } from '#modules/tenancy/index'
import { useWorkers } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  waId,
  waitFor,
  webhook,
} from '#tests/helpers/whatsapp'
import { makeWorkspace } from '#tests/helpers/tenants'
import { signIn } from '#tests/functional/workspace/member_browser'
import { OrderApi, useOrderApi } from '#tests/helpers/order_api'

/*
| Live API connectors against a local HTTP server (a shop's order API): the
| request as the template and auth make it, the JSON-path mapping and the
| reply, the cache, and each failure (the outbound guard refusing a private
| address, a timeout, an error status, an answer that is not JSON). The
| assistant answers "where is my order 4471?" over WhatsApp from the call,
| and hands off when the call fails. The pages: a connector made by form,
| "Try it" with the secret masked, and another tenant's connector a 404.
*/

function orderConnector(api: OrderApi, overrides: Partial<ConnectorInput> = {}): ConnectorInput {
  return {
    name: 'Order status',
    description: 'Where an order is',
    method: 'GET',
    url_template: `${api.base}/orders/{{order}}?lang=en`,
    auth_mode: 'bearer',
    auth_secret: 'sk-live-very-secret',
    parameters: [{ name: 'order', type: 'integer', pattern: '', required: true, example: '4471' }],
    mapping: [
      { name: 'status', path: '$.order.status' },
      { name: 'eta', path: "$['order'].eta" },
      { name: 'first_item', path: '$.items[0].name' },
      { name: 'items', path: '$.items[*].name' },
      { name: 'missing', path: '$.order.courier' },
    ],
    reply_template: 'Order {{order}} is {{status}}, arriving {{eta}} ({{items}}).',
    triggers: 'order, my order, طلب, طلبي',
    timeout_ms: 2000,
    cache_seconds: 0,
    answers_customers: true,
    ...overrides,
  }
}

test.group('Data engine: JSON paths of a response mapping', () => {
  test('names, quoted names, indexes from either end and wildcards', ({ assert }) => {
    const doc = { a: { 'b c': [1, 2, 3] }, list: [{ n: 'x' }, { n: 'y' }] }
    assert.deepEqual(readJsonPath(doc, "$.a['b c'][-1]"), 3)
    assert.deepEqual(readJsonPath(doc, '$.list[*].n'), ['x', 'y'])
    assert.equal(readJsonPath(doc, '$.list[1].n'), 'y')
    assert.isUndefined(readJsonPath(doc, '$.nothing.here'))
    assert.deepEqual(readJsonPath(doc, '$'), doc)
  })
})

test.group('Data engine: API connectors', (group) => {
  const api = useOrderApi(group)

  test('a call fills the URL template, signs in, maps the JSON answer and fills the reply', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cnc')
    const connector = await createConnector(w.context, orderConnector(api))
    const call = await callConnector(w.context, connector, { order: '4471' })
    assert.isTrue(call.ok, JSON.stringify(call.error))
    assert.equal(call.status, 200)
    assert.deepEqual(call.fields, {
      status: 'Out for delivery',
      eta: 'today 5pm',
      first_item: 'Desk lamp',
      items: ['Desk lamp', 'Bulbs'],
      missing: null,
    })
    assert.equal(
      call.reply,
      'Order 4471 is Out for delivery, arriving today 5pm (Desk lamp, Bulbs).'
    )
    const [seen] = api.seen
    assert.equal(seen.url, '/orders/4471?lang=en')
    assert.equal(seen.headers.authorization, 'Bearer sk-live-very-secret')
    // The request shown to people masks the secret.
    assert.equal(call.request.headers.authorization, 'Bearer ••••••••')
    assert.notInclude(JSON.stringify(call), 'sk-live-very-secret')
    // The secret is stored encrypted, and the connector as others see it has none.
    const stored = await w.context.transaction((trx) =>
      trx.from('api_connectors').where('id', connector.id).firstOrFail()
    )
    assert.notInclude(stored.auth_secret, 'sk-live')
    assert.notInclude(JSON.stringify(await findConnector(w.context, connector.id)), 'sk-live')
  })

  test('basic auth, an API key in the query or a header, and a POST body with JSON-escaped values', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cna')
    const basic = await createConnector(
      w.context,
      orderConnector(api, { auth_mode: 'basic', auth_username: 'shop', auth_secret: 'pw' })
    )
    await callConnector(w.context, basic, { order: '1' })
    assert.equal(
      api.seen.at(-1)!.headers.authorization,
      `Basic ${Buffer.from('shop:pw').toString('base64')}`
    )

    const query = await createConnector(
      w.context,
      orderConnector(api, { auth_mode: 'query', auth_name: 'api_key', auth_secret: 'q-secret' })
    )
    const viaQuery = await callConnector(w.context, query, { order: '2' })
    assert.equal(api.seen.at(-1)!.url, '/orders/2?lang=en&api_key=q-secret')
    assert.include(viaQuery.request.url, 'api_key=%E2%80%A2')

    const post = await createConnector(
      w.context,
      orderConnector(api, {
        method: 'POST',
        auth_mode: 'header',
        auth_name: 'X-Api-Key',
        auth_secret: 'h-secret',
        url_template: `${api.base}/orders/lookup`,
        parameters: [
          { name: 'ref', type: 'text', pattern: 'ref (\\S+)', required: true, example: '' },
        ],
        body_template: '{"reference": "{{ref}}"}',
        reply_template: 'It is {{status}}.',
      })
    )
    const posted = await callConnector(w.context, post, { ref: 'A"1\\b' })
    assert.isTrue(posted.ok)
    const seen = api.seen.at(-1)!
    assert.equal(seen.method, 'POST')
    assert.equal(seen.headers['x-api-key'], 'h-secret')
    assert.deepEqual(JSON.parse(seen.body), { reference: 'A"1\\b' })
    assert.equal(posted.request.headers['x-api-key'], '••••••••')
  })

  test('the outbound guard refuses private addresses: nothing is sent', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cng')
    const local = await createConnector(w.context, orderConnector(api))
    const metadata = await createConnector(
      w.context,
      orderConnector(api, { url_template: 'http://169.254.169.254/latest/{{order}}' })
    )
    app.config.set('brain.allowPrivateUrlSources', false)
    cleanup(() => app.config.set('brain.allowPrivateUrlSources', true))
    for (const connector of [local, metadata]) {
      const call = await callConnector(w.context, connector, { order: '4471' })
      assert.isFalse(call.ok)
      assert.equal(call.error!.code, 'blocked_address')
    }
    assert.lengthOf(api.seen, 0, 'nothing reached the local server')
  })

  test('a slow API is cut off at the timeout; an error status and an answer that is not JSON say so', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cnt')
    const connector = await createConnector(w.context, orderConnector(api, { timeout_ms: 600 }))
    api.delayMs = 3000
    const slow = await callConnector(w.context, connector, { order: '1' })
    assert.equal(slow.error?.code, 'timeout')
    assert.isBelow(slow.durationMs, 1500)

    api.delayMs = 0
    api.status = 503
    const down = await callConnector(w.context, connector, { order: '1' })
    assert.equal(down.error?.code, 'http_error')
    assert.equal(down.status, 503)

    api.status = 200
    api.raw = '<html>Maintenance</html>'
    const html = await callConnector(w.context, connector, { order: '1' })
    assert.equal(html.error?.code, 'bad_json')

    const wrong = await callConnector(w.context, connector, { order: 'abc' })
    assert.equal(wrong.error?.code, 'invalid_parameter')
    const missing = await callConnector(w.context, connector, {})
    assert.equal(missing.error?.code, 'missing_parameter')
  })

  test('answers are cached for the TTL, per request; a changed connector is called afresh', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cnk')
    const connector = await createConnector(w.context, orderConnector(api, { cache_seconds: 60 }))
    const first = await callConnector(w.context, connector, { order: '7' })
    const second = await callConnector(w.context, connector, { order: '7' })
    assert.isFalse(first.cached)
    assert.isTrue(second.cached)
    assert.equal(second.reply, first.reply)
    assert.lengthOf(api.seen, 1)
    await callConnector(w.context, connector, { order: '8' })
    assert.lengthOf(api.seen, 2)
    await updateConnector(
      w.context,
      connector.id,
      orderConnector(api, { cache_seconds: 60, auth_secret: '' })
    )
    const afresh = await callConnector(w.context, connector, { order: '7' })
    assert.isFalse(afresh.cached)
    // A blank secret on update kept the saved one.
    assert.equal(api.seen.at(-1)!.headers.authorization, 'Bearer sk-live-very-secret')
  })

  test('bad definitions are refused on the field that is wrong', async ({ assert, cleanup }) => {
    const w = await makeWorkspace(cleanup, 'cnv')
    const cases: [Partial<ConnectorInput>, string][] = [
      [{ url_template: 'ftp://x.example/{{order}}' }, 'url_template'],
      [{ url_template: 'https://{{order}}.example/' }, 'url_template'],
      [{ url_template: `${api.base}/orders/{{nope}}` }, 'url_template'],
      [{ mapping: [{ name: 'status', path: 'order.status' }] }, 'mapping'],
      [{ mapping: [{ name: 'status', path: '$..status' }] }, 'mapping'],
      [{ reply_template: 'Order {{courier}}' }, 'reply_template'],
      [{ auth_secret: '' }, 'auth_secret'],
      [{ auth_mode: 'header', auth_name: '' }, 'auth_name'],
      [{ timeout_ms: 60_000 }, 'timeout_ms'],
      [
        {
          parameters: [
            { name: 'order', type: 'integer', pattern: '([', required: true, example: '' },
          ],
        },
        'parameters',
      ],
    ]
    for (const [overrides, field] of cases) {
      const error = await createConnector(w.context, orderConnector(api, overrides)).catch((e) => e)
      assert.equal(error.field, field, JSON.stringify(overrides))
    }
  })

  test('a message is matched by a trigger phrase and its parameter; a trigger alone asks for it', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cnm')
    const connector = await createConnector(w.context, orderConnector(api))
    const list = [connector]
    assert.deepEqual(matchConnector(list, 'where is my order 4471?')?.inputs, { order: '4471' })
    assert.deepEqual(matchConnector(list, 'أين طلبي ٤٤٧١؟')?.inputs, { order: '4471' })
    assert.equal(matchConnector(list, 'where is my order?')?.missing?.name, 'order')
    assert.isNull(matchConnector(list, 'do you have 2 bedroom flats?'))
    assert.isNull(matchConnector(list, 'I ordered 3 lamps'), 'whole words only')
  })
})

async function assistantOn(tenant: TenantContext, channelId: string) {
  const current = await readAssistantSettings(tenant, channelId)
  await saveAssistantSettings(tenant, channelId, { ...current, enabled: true }, null)
}

test.group('Data engine: the assistant answers from a connector over WhatsApp', (group) => {
  useWorkers(group, ['default', 'inbound'])
  const graph = useFakeGraph(group, { token: 'test-access-token' })
  const api = useOrderApi(group)

  async function ask(cleanup: any, text: string, overrides: Partial<ConnectorInput> = {}) {
    const wa = await makeWhatsAppTenant('cnw')
    cleanup(wa.cleanup)
    await createConnector(wa.context, orderConnector(api, overrides))
    await assistantOn(wa.context, wa.channel.id)
    const from = waId()
    const response = await postWebhook(
      webhook(wa, { messages: [messages.text({ from }, text)] }),
      wa.appSecret
    )
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`)
    const sent = await waitFor(
      async () => graph.sends().find((call) => call.body?.to === from) ?? null
    )
    const reply = await waitFor(async () =>
      wa.context.transaction((trx) =>
        trx
          .from('assistant_replies')
          .orderBy('created_at', 'desc')
          .select('outcome', 'reason', 'mode')
          .first()
      )
    )
    return { wa, sent, reply }
  }

  test('"where is my order 4471?" is answered from the order API', async ({ assert, cleanup }) => {
    const { sent, reply } = await ask(cleanup, 'Hi, where is my order 4471?')
    assert.equal(
      sent.body.text.body,
      'Order 4471 is Out for delivery, arriving today 5pm (Desk lamp, Bulbs).'
    )
    assert.equal(api.seen[0].url, '/orders/4471?lang=en')
    assert.equal(reply.outcome, 'answered')
    assert.equal(reply.mode, 'connector')
  })

  test('a lookup that times out hands the conversation to a person, and says so', async ({
    assert,
    cleanup,
  }) => {
    api.delayMs = 3000
    const started = Date.now()
    const { sent, reply } = await ask(cleanup, 'where is my order 4471', { timeout_ms: 700 })
    assert.include(sent.body.text.body, "couldn't look that up")
    assert.equal(reply.outcome, 'handoff')
    assert.equal(reply.reason, 'lookup_failed')
    assert.isBelow(Date.now() - started, 15_000)
  })
})

test.group('Data engine: connector pages', (group) => {
  const api = useOrderApi(group)

  test('made by form; Try it shows the request with the secret masked and the mapped fields', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cnp')
    const owner = await signIn(await w.member('owner'))
    const made = await owner.submit(`${w.base}/connectors/new`, `${w.base}/connectors`, {
      name: 'Orders',
      url_template: `${api.base}/orders/{{order}}`,
      auth_mode: 'bearer',
      auth_secret: 'tok-123456',
      p0_name: 'order',
      p0_type: 'integer',
      p0_required: 'on',
      p0_example: '4471',
      m0_name: 'status',
      m0_path: '$.order.status',
      reply_template: 'Order {{order}}: {{status}}',
      triggers: 'order',
      timeout_ms: '3000',
      cache_seconds: '0',
    })
    assert.equal(made.status, 302)
    const id = made.location!.split('/').pop()!
    const page = await owner.get(`${w.base}/connectors/${id}`)
    assert.equal(page.status, 200)
    assert.notInclude(page.body, 'tok-123456', 'the secret is never rendered')
    assert.include(page.body, 'data-secret-state')

    const tried = await owner.submit(
      `${w.base}/connectors/${id}`,
      `${w.base}/connectors/${id}/test`,
      {
        try_0: '4471',
      }
    )
    assert.equal(tried.status, 200)
    assert.include(tried.body, 'data-trial="ok"')
    assert.include(tried.body, `GET ${api.base}/orders/4471`)
    assert.include(tried.body, 'authorization: Bearer ••••••••')
    assert.include(tried.body, 'Out for delivery')
    assert.include(tried.body, 'Order 4471: Out for delivery')
    assert.notInclude(tried.body, 'tok-123456')
    assert.equal(api.seen.at(-1)!.headers.authorization, 'Bearer tok-123456')

    // A wrong field re-renders the form with its message, and never the secret typed.
    const bad = await owner.submit(`${w.base}/connectors/new`, `${w.base}/connectors`, {
      name: 'Broken',
      url_template: 'not an address',
      auth_mode: 'bearer',
      auth_secret: 'typed-secret-999',
      m0_name: 'status',
      m0_path: '$.status',
      reply_template: 'x',
    })
    assert.equal(bad.location, `${w.base}/connectors/new`)
    const form = await owner.get(`${w.base}/connectors/new`)
    assert.include(form.body, 'Give the full address, starting with https://.')
    assert.include(form.body, 'value="Broken"')
    assert.notInclude(form.body, 'typed-secret-999')
  })

  test('another tenant cannot see, call, change or delete a connector; agents cannot manage', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeWorkspace(cleanup, 'cni')
    const b = await makeWorkspace(cleanup, 'cnj')
    const connector = await createConnector(
      a.context,
      orderConnector(api, { name: 'Secret shop API' })
    )
    const stranger = await signIn(await b.member('owner'))
    const list = await stranger.get(`${b.base}/connectors`)
    assert.equal(list.status, 200)
    assert.notInclude(list.body, 'Secret shop API')
    assert.equal((await stranger.get(`${b.base}/connectors/${connector.id}`)).status, 404)
    for (const action of ['', '/test', '/delete']) {
      const refused = await stranger.submit(
        `${b.base}/connectors`,
        `${b.base}/connectors/${connector.id}${action}`,
        {
          name: 'Hijacked',
          try_0: '1',
        }
      )
      assert.equal(refused.status, 404, action)
    }
    assert.lengthOf(api.seen, 0)
    assert.equal((await findConnector(a.context, connector.id))?.name, 'Secret shop API')

    const agent = await signIn(await a.member('agent'))
    assert.equal((await agent.get(`${a.base}/connectors/${connector.id}`)).status, 403)
    const owner = await signIn(await a.member('owner'))
    const deleted = await owner.submit(
      `${a.base}/connectors`,
      `${a.base}/connectors/${connector.id}/delete`,
      {}
    )
    assert.equal(deleted.status, 302)
    assert.isNull(await findConnector(a.context, connector.id))
  })
})
