import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import redis from '@adonisjs/redis/services/main'
import { readAssistantSettings, saveAssistantSettings } from '#modules/brain/index'
import type { DataQuestion } from '#modules/brain/index'
import {
  ASK_MEMORY_SECONDS,
  answerFromConnectors,
  createConnector,
  matchConnector,
  type ConnectorInput,
} from '#modules/data_engine/index'
import type { TenantContext } from '#modules/tenancy/index'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { useOrderApi, type OrderApi } from '#tests/helpers/order_api'
import { useWorkers } from '#tests/helpers/queue'
import { makeWorkspace } from '#tests/helpers/tenants'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  waId,
  waitFor,
  webhook,
} from '#tests/helpers/whatsapp'

/*
| The assistant's live lookups with a chat model: each connector that
| answers customers is offered as a tool (OpenAI's `tools` wire format,
| answered by the local fake OpenAI server with `tool_calls`), the model's
| call is checked against the connector's parameters and made through the
| guarded path to a local order API; a call that does not hold falls back
| to the offline matcher, a failed lookup hands off. A parameter asked for
| is remembered for the conversation, so "4471" alone is answered.
*/

function orderConnector(api: OrderApi, overrides: Partial<ConnectorInput> = {}): ConnectorInput {
  return {
    name: 'Order status',
    description: 'Tells where a customer order is and when it arrives',
    method: 'GET',
    url_template: `${api.base}/orders/{{order}}`,
    auth_mode: 'none',
    parameters: [{ name: 'order', type: 'integer', pattern: '', required: true, example: '4471' }],
    mapping: [
      { name: 'status', path: '$.order.status' },
      { name: 'eta', path: '$.order.eta' },
    ],
    reply_template: 'Order {{order}} is {{status}}, arriving {{eta}}.',
    triggers: 'order, my order, طلب, طلبي',
    timeout_ms: 2000,
    cache_seconds: 0,
    answers_customers: true,
    ...overrides,
  }
}

function ask(
  tenant: TenantContext,
  text: string,
  conversationId: string | null = null
): DataQuestion & { conversationId: string | null } {
  return { tenant, text, choiceId: null, language: 'english', conversationId }
}

test.group('Data engine: the chat model picks a connector by function calling', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })
  const api = useOrderApi(group)

  test('each customer connector is a tool; the tool call is made and answered from the template', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cft')
    const order = await createConnector(w.context, orderConnector(api))
    await createConnector(
      w.context,
      orderConnector(api, { name: 'Stock (team)', answers_customers: false })
    )
    await createConnector(
      w.context,
      orderConnector(api, {
        name: 'Booking',
        description: 'Finds a hotel booking by its reference',
        url_template: `${api.base}/orders/{{ref}}`,
        parameters: [
          { name: 'ref', type: 'text', pattern: '([A-Z]{2}-\\d{3})', required: true, example: '' },
        ],
        reply_template: 'Booking {{ref}}: {{status}}.',
        triggers: 'booking',
      })
    )
    const text = 'Can you check 4471 for me? It has not come yet'
    // Offline, nothing says "order": the model is what finds it.
    assert.isNull(matchConnector([order], text))
    ai.respond((request) => {
      const tool = request.tools.find((t: any) => t.function.description.startsWith('Tells where'))
      return { toolCalls: [{ name: tool.function.name, arguments: { order: 4471 } }] }
    })
    const answer = await answerFromConnectors(ask(w.context, text))
    assert.equal(answer?.content.type, 'text')
    assert.equal(
      (answer!.content as any).text,
      'Order 4471 is Out for delivery, arriving today 5pm.'
    )
    assert.equal(answer!.mode, 'connector')
    assert.equal(answer!.citations[0].sourceId, order.id)
    assert.deepEqual(
      api.seen.map((s) => s.url),
      ['/orders/4471']
    )

    const [call] = ai.chatCalls()
    const tools = call.body.tools
    assert.lengthOf(tools, 2, 'a team-only connector is not offered')
    const orderTool = tools.find((tool: any) => tool.function.name.startsWith('order_status_'))
    assert.match(orderTool.function.name, /^order_status_[12]$/)
    assert.deepEqual(orderTool, {
      type: 'function',
      function: {
        name: orderTool.function.name,
        description: 'Tells where a customer order is and when it arrives',
        parameters: {
          type: 'object',
          additionalProperties: false,
          properties: {
            order: {
              type: ['integer', 'string'],
              description: 'order, e.g. 4471 (a whole number)',
            },
          },
          required: ['order'],
        },
      },
    })
    const bookingTool = tools.find((tool: any) => tool !== orderTool)
    assert.match(bookingTool.function.name, /^booking_[12]$/)
    assert.deepEqual(bookingTool.function.parameters.required, ['ref'])
    assert.equal(call.body.tool_choice, 'auto')
    assert.include(call.body.messages.at(-1).content, text)
  })

  test('a text parameter is checked against its pattern', async ({ assert, cleanup }) => {
    const w = await makeWorkspace(cleanup, 'cfp')
    await createConnector(
      w.context,
      orderConnector(api, {
        url_template: `${api.base}/orders/{{ref}}`,
        parameters: [
          { name: 'ref', type: 'text', pattern: '([A-Z]{2}-\\d{3})', required: true, example: '' },
        ],
        reply_template: 'Booking {{ref}}: {{status}}.',
        triggers: 'booking',
      })
    )
    ai.respond(() => ({ toolCalls: [{ name: 'order_status_1', arguments: { ref: 'DX-204' } }] }))
    const good = await answerFromConnectors(ask(w.context, 'what about DX-204 please'))
    assert.equal((good!.content as any).text, 'Booking DX-204: Out for delivery.')

    // A value the pattern refuses is not sent; offline finds nothing in the message either.
    ai.respond(() => ({ toolCalls: [{ name: 'order_status_1', arguments: { ref: '../admin' } }] }))
    assert.isNull(await answerFromConnectors(ask(w.context, 'what about my stay')))
    assert.deepEqual(
      api.seen.map((s) => s.url),
      ['/orders/DX-204']
    )
  })

  test('a malformed or invalid tool call falls back to the offline matcher', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cfi')
    await createConnector(w.context, orderConnector(api))
    const wrong = [
      { name: 'order_status_1', arguments: '{"order": 44' },
      { name: 'order_status_1', arguments: { order: 'DROP TABLE' } },
      { name: 'order_status_1', arguments: { order: 4471.5 } },
      { name: 'order_status_1', arguments: { order: 4471, admin: true } },
      { name: 'order_status_1', arguments: '[4471]' },
      { name: 'refund_everything', arguments: { order: 1 } },
    ]
    for (const toolCall of wrong) {
      ai.respond(() => ({ toolCalls: [toolCall] }))
      // The offline matcher answers a message it can read…
      const offline = await answerFromConnectors(ask(w.context, 'where is my order 5512?'))
      assert.equal(
        (offline!.content as any).text,
        'Order 5512 is Out for delivery, arriving today 5pm.',
        JSON.stringify(toolCall)
      )
      // …and nothing for one it cannot.
      assert.isNull(await answerFromConnectors(ask(w.context, 'can you check 4471')))
    }
    assert.deepEqual(
      [...new Set(api.seen.map((s) => s.url))],
      ['/orders/5512'],
      'no invalid call reached the API'
    )

    // The model failing (or calling no tool) leaves the offline matcher too.
    api.seen = []
    ai.fail(500, 'server_error').fail(500, 'server_error')
    const afterFailure = await answerFromConnectors(ask(w.context, 'my order 6001'))
    assert.equal(
      (afterFailure!.content as any).text,
      'Order 6001 is Out for delivery, arriving today 5pm.'
    )
    ai.respond(() => 'none')
    const noTool = await answerFromConnectors(ask(w.context, 'my order 6002'))
    assert.equal(
      (noTool!.content as any).text,
      'Order 6002 is Out for delivery, arriving today 5pm.'
    )
    assert.isNull(await answerFromConnectors(ask(w.context, 'do you sell lamps?')))
  })

  test('a lookup that fails after a valid tool call hands off, as offline', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cff')
    await createConnector(w.context, orderConnector(api, { timeout_ms: 600 }))
    ai.respond(() => ({ toolCalls: [{ name: 'order_status_1', arguments: { order: '4471' } }] }))
    api.status = 503
    const failed = await answerFromConnectors(ask(w.context, 'check 4471'))
    assert.equal(failed?.handoff, 'lookup_failed')
    assert.include((failed!.content as any).text, "couldn't reach Order status")
    api.status = 200
    api.delayMs = 2000
    const started = Date.now()
    const slow = await answerFromConnectors(ask(w.context, 'check 4471'))
    assert.equal(slow?.handoff, 'lookup_failed')
    assert.isBelow(Date.now() - started, 1900, 'cut off at the connector timeout')
  })

  test('a required value the model leaves out is asked for and remembered for the conversation', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cfm')
    await createConnector(w.context, orderConnector(api))
    const conversation = randomUUID()
    ai.respond(() => ({ toolCalls: [{ name: 'order_status_1', arguments: {} }] }))
    const asked = await answerFromConnectors(ask(w.context, 'has my parcel shipped?', conversation))
    assert.include((asked!.content as any).text, 'order')
    assert.isEmpty(api.seen)
    const chats = ai.chatCalls().length
    const answered = await answerFromConnectors(ask(w.context, '4471', conversation))
    assert.equal(
      (answered!.content as any).text,
      'Order 4471 is Out for delivery, arriving today 5pm.'
    )
    assert.equal(ai.chatCalls().length, chats, 'the reply to the question needs no model')
  })
})

test.group('Data engine: a parameter asked for is remembered (offline)', (group) => {
  const api = useOrderApi(group)

  test('"4471" alone answers the question asked in that conversation only', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cma')
    const other = await makeWorkspace(cleanup, 'cmb')
    const connector = await createConnector(w.context, orderConnector(api))
    await createConnector(other.context, orderConnector(api))
    const conversation = randomUUID()

    // Without the question, "4471" is for nobody.
    assert.isNull(await answerFromConnectors(ask(w.context, '4471', conversation)))

    const asked = await answerFromConnectors(ask(w.context, 'where is my order?', conversation))
    assert.equal(
      (asked!.content as any).text,
      'Please send me your order (4471) and I will look it up.'
    )
    const key = `data:connector-ask:${w.context.id}:${conversation}`
    const ttl = await redis.ttl(key)
    assert.isAbove(ttl, 0)
    assert.isAtMost(ttl, ASK_MEMORY_SECONDS)
    assert.equal(JSON.parse((await redis.get(key))!).connectorId, connector.id)

    // Another conversation, and another tenant under the same conversation id, are not answered.
    assert.isNull(await answerFromConnectors(ask(w.context, '4471', randomUUID())))
    assert.isNull(await answerFromConnectors(ask(other.context, '4471', conversation)))
    assert.isEmpty(api.seen)

    const answered = await answerFromConnectors(ask(w.context, '٤٤٧١', conversation))
    assert.equal(
      (answered!.content as any).text,
      'Order 4471 is Out for delivery, arriving today 5pm.'
    )
    assert.deepEqual(
      api.seen.map((s) => s.url),
      ['/orders/4471']
    )
    // Answered once: the memory is spent.
    assert.isNull(await redis.get(key))
    assert.isNull(await answerFromConnectors(ask(w.context, '4471', conversation)))
  })

  test('a reply that is not the value (or a new question) forgets it; a wrong value asks again', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'cmc')
    await createConnector(w.context, orderConnector(api))
    const conversation = randomUUID()
    await answerFromConnectors(ask(w.context, 'where is my order?', conversation))
    assert.isNull(
      await answerFromConnectors(
        ask(w.context, 'actually do you have 2 bedroom flats in the marina', conversation)
      )
    )
    assert.isNull(await answerFromConnectors(ask(w.context, '4471', conversation)))

    await answerFromConnectors(ask(w.context, 'where is my order?', conversation))
    assert.isNull(await answerFromConnectors(ask(w.context, 'no idea', conversation)))
    await answerFromConnectors(ask(w.context, 'my order', conversation))
    const answered = await answerFromConnectors(ask(w.context, "it's 4471", conversation))
    assert.equal(
      (answered!.content as any).text,
      'Order 4471 is Out for delivery, arriving today 5pm.'
    )
    assert.deepEqual(
      api.seen.map((s) => s.url),
      ['/orders/4471']
    )
  })
})

test.group('Data engine: the order number asked for, over WhatsApp', (group) => {
  useWorkers(group, ['default', 'inbound'])
  const graph = useFakeGraph(group, { token: 'test-access-token' })
  const api = useOrderApi(group)

  test('"where is my order?" is asked back; "4471" alone is answered from the API', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('cmw')
    cleanup(wa.cleanup)
    await createConnector(wa.context, orderConnector(api))
    const current = await readAssistantSettings(wa.context, wa.channel.id)
    await saveAssistantSettings(wa.context, wa.channel.id, { ...current, enabled: true }, null)
    const from = waId()
    const sentTo = () => graph.sends().filter((call) => call.body?.to === from)

    let response = await postWebhook(
      webhook(wa, { messages: [messages.text({ from }, 'Hi, where is my order?')] }),
      wa.appSecret
    )
    assert.equal(response.status, 200)
    const first = await waitFor(async () => sentTo()[0])
    assert.equal(first.body.text.body, 'Please send me your order (4471) and I will look it up.')

    response = await postWebhook(
      webhook(wa, { messages: [messages.text({ from }, '4471')] }),
      wa.appSecret
    )
    assert.equal(response.status, 200)
    const second = await waitFor(async () => sentTo()[1])
    assert.equal(second.body.text.body, 'Order 4471 is Out for delivery, arriving today 5pm.')
    assert.deepEqual(
      api.seen.map((s) => s.url),
      ['/orders/4471']
    )
  })
})
