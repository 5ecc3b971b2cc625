import { test } from '@japa/runner'
import { api } from './api_client.js'
import { apiTenant, approvedTemplate, customer } from './api_fixtures.js'

/*
| One tenant's key against another tenant's ids: every read, change and
| delete answers 404 (never 403: the resource's existence is not revealed),
| lists never show it, and nothing changes.
*/
test.group('API tenant isolation', () => {
  test('another tenant’s contact, conversation and message are 404 to read, change or delete', async ({
    assert,
    cleanup,
  }) => {
    const home = await apiTenant(cleanup, 'apih')
    const other = await apiTenant(cleanup, 'apio')
    const { contactId, conversationId } = await customer(home.context, home.channel)
    await approvedTemplate(home.context, home.channel.id)
    const sent = await api('POST', '/api/v1/messages', {
      token: home.token,
      body: { channel_id: home.channel.id, contact_id: contactId, type: 'text', text: 'Hi' },
    })
    assert.equal(sent.status, 202)
    const messageId = sent.json.id

    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/contacts/${contactId}`],
      ['PATCH', `/api/v1/contacts/${contactId}`, { name: 'Hijacked' }],
      ['DELETE', `/api/v1/contacts/${contactId}`],
      ['GET', `/api/v1/conversations/${conversationId}`],
      ['PATCH', `/api/v1/conversations/${conversationId}`, { status: 'resolved' }],
      ['GET', `/api/v1/conversations/${conversationId}/messages`],
      ['GET', `/api/v1/messages/${messageId}`],
    ]
    for (const [method, path, body] of attempts) {
      const answer = await api(method, path, { token: other.token, body })
      assert.equal(answer.status, 404, `${method} ${path}`)
      assert.equal(answer.json.error.code, 'not_found', `${method} ${path}`)
    }

    // Body references to another tenant's channel or contact are refused too.
    const send = await api('POST', '/api/v1/messages', {
      token: other.token,
      body: { channel_id: home.channel.id, contact_id: contactId, type: 'text', text: 'x' },
    })
    assert.equal(send.status, 422)
    assert.property(send.json.error.fields, 'channel_id')
    const viaOwnChannel = await api('POST', '/api/v1/messages', {
      token: other.token,
      body: { channel_id: other.channel.id, contact_id: contactId, type: 'text', text: 'x' },
    })
    assert.equal(viaOwnChannel.status, 422)
    assert.property(viaOwnChannel.json.error.fields, 'contact_id')
    const ingest = await api('POST', '/api/v1/conversations/ingest', {
      token: other.token,
      body: {
        contact: { phone: '+15550100999' },
        channel_id: home.channel.id,
        messages: [
          {
            external_id: 'x',
            direction: 'in',
            type: 'text',
            text: 'x',
            sent_at: '2026-01-01T00:00:00Z',
          },
        ],
      },
    })
    assert.equal(ingest.status, 422)

    for (const list of ['contacts', 'conversations', 'templates']) {
      const page = await api('GET', `/api/v1/${list}`, { token: other.token })
      assert.deepEqual(page.json, { data: [], next_cursor: null }, list)
    }
    const filtered = await api('GET', `/api/v1/conversations?contact_id=${contactId}`, {
      token: other.token,
    })
    assert.deepEqual(filtered.json.data, [])

    // Nothing changed at home.
    const contact = await api('GET', `/api/v1/contacts/${contactId}`, { token: home.token })
    assert.isNull(contact.json.name)
    const conversation = await api('GET', `/api/v1/conversations/${conversationId}`, {
      token: home.token,
    })
    assert.equal(conversation.json.status, 'open')
  })
})
