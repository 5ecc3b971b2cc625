import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { DateTime } from 'luxon'
import { Message } from '#modules/channels/index'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { api, freshPhone } from './api_client.js'
import { GRAPH_TOKEN, apiTenant, customer } from './api_fixtures.js'

function history(count: number, start = DateTime.utc().minus({ days: 30 })) {
  return Array.from({ length: count }, (_, i) => ({
    external_id: `crm-${randomUUID()}`,
    direction: i % 2 ? 'out' : 'in',
    type: 'text',
    text: `old message ${i}`,
    sent_at: start.plus({ minutes: i }).toISO(),
  }))
}

test.group('API ingest', (group) => {
  const graph = useFakeGraph(group, { token: GRAPH_TOKEN })

  test('imports a history once: a repeat inserts nothing and says what was skipped', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await apiTenant(cleanup, 'apii')
    const phone = freshPhone()
    const messages = history(4)
    const body = { contact: { phone, name: 'Hala' }, channel_id: channel.id, messages }
    const before = graph.calls.length

    const first = await api('POST', '/api/v1/conversations/ingest', { token, body })
    assert.equal(first.status, 201, first.text)
    assert.include(first.json, {
      contact_created: true,
      conversation_created: true,
      created: 4,
      skipped: 0,
    })
    assert.deepEqual(
      first.json.messages.map((m: { external_id: string; status: string }) => [
        m.external_id,
        m.status,
      ]),
      messages.map((m) => [m.external_id, 'created'])
    )

    // Again, with one new message: only that one is added, into the same conversation.
    const more = [...messages, ...history(1, DateTime.utc().minus({ days: 29 }))]
    const second = await api('POST', '/api/v1/conversations/ingest', {
      token,
      body: { ...body, messages: more },
    })
    assert.equal(second.status, 201)
    assert.include(second.json, {
      contact_id: first.json.contact_id,
      contact_created: false,
      conversation_id: first.json.conversation_id,
      conversation_created: false,
      created: 1,
      skipped: 4,
    })
    assert.deepEqual(
      second.json.messages.slice(0, 4).map((m: { id: string }) => m.id),
      first.json.messages.map((m: { id: string }) => m.id)
    )
    const third = await api('POST', '/api/v1/conversations/ingest', {
      token,
      body: { ...body, messages: more },
    })
    assert.equal(third.status, 200)
    assert.include(third.json, { created: 0, skipped: 5 })

    // Stored as history: never sent, in the order sent, resolved, window closed.
    assert.equal(graph.calls.length, before)
    const stored = await context.transaction((trx) =>
      Message.query({ client: trx }).orderBy('created_at', 'asc')
    )
    assert.lengthOf(stored, 5)
    assert.deepEqual(
      stored.map((m) => m.body),
      more.map((m) => m.text)
    )
    assert.deepEqual(
      stored.map((m) => m.direction),
      ['inbound', 'outbound', 'inbound', 'outbound', 'inbound']
    )
    assert.isTrue(stored.every((m) => m.processedAt !== null))
    const conversation = await api('GET', `/api/v1/conversations/${first.json.conversation_id}`, {
      token,
    })
    assert.include(conversation.json, { status: 'resolved', last_customer_message_at: null })
    const listed = await api(
      'GET',
      `/api/v1/conversations/${first.json.conversation_id}/messages`,
      { token }
    )
    assert.deepEqual(
      listed.json.data.map((m: { body: string }) => m.body),
      more.map((m) => m.text)
    )
    const contact = await api('GET', `/api/v1/contacts/${first.json.contact_id}`, { token })
    assert.include(contact.json, { phone, name: 'Hala', source: 'import' })
  })

  test('goes into the contact’s conversation in progress; bad input is refused', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await apiTenant(cleanup, 'apii')
    const { phone, conversationId } = await customer(context, channel)
    const ingest = (body: Record<string, unknown>) =>
      api('POST', '/api/v1/conversations/ingest', {
        token,
        body: { contact: { phone }, channel_id: channel.id, messages: history(1), ...body },
      })

    const into = await ingest({})
    assert.equal(into.status, 201)
    assert.include(into.json, { conversation_id: conversationId, contact_created: false })

    const otherChannel = await ingest({ channel_id: randomUUID() })
    assert.equal(otherChannel.status, 422)
    assert.property(otherChannel.json.error.fields, 'channel_id')

    const noMessages = await ingest({ messages: [] })
    assert.equal(noMessages.status, 422)
    assert.property(noMessages.json.error.fields, 'messages')

    const [message] = history(1)
    const badTime = await ingest({ messages: [{ ...message, sent_at: 'yesterday' }] })
    assert.equal(badTime.status, 422)
    assert.isArray(badTime.json.error.fields['messages.0.sent_at'])

    const twice = await ingest({ messages: [message, { ...message, text: 'again' }] })
    assert.equal(twice.status, 422)

    const media = await ingest({ messages: [{ ...message, type: 'image' }] })
    assert.equal(media.status, 422)

    const typo = await ingest({ contacts: {} })
    assert.equal(typo.json.error.code, 'unknown_field')
  })
})
