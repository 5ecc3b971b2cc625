import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import db from '@adonisjs/lucid/services/db'
import { Message } from '#modules/channels/index'
import { Conversation } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { api, freshPhone } from './api_client.js'
import { GRAPH_TOKEN, apiTenant, approvedTemplate, customer } from './api_fixtures.js'

/** The message once the send job has been answered by the (fake) Graph API. */
async function settled(context: TenantContext, messageId: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const message = await context.transaction((trx) =>
      Message.query({ client: trx }).where('id', messageId).firstOrFail()
    )
    if (message.externalId || message.status === 'failed') return message
    await sleep(50)
  }
  throw new Error(`message ${messageId} still pending after ${timeoutMs} ms`)
}

/** A workspace with a customer, and a send of `text` to them under one Idempotency-Key. */
async function keyedSend(cleanup: Parameters<typeof apiTenant>[0], text: string) {
  const made = await apiTenant(cleanup, 'apim')
  const { contactId } = await customer(made.context, made.channel)
  const key = randomUUID()
  const body = { channel_id: made.channel.id, contact_id: contactId, type: 'text', text }
  const send = () =>
    api('POST', '/api/v1/messages', {
      token: made.token,
      body,
      headers: { 'Idempotency-Key': key },
    })
  return { ...made, key, send }
}

test.group('API messages', (group) => {
  const graph = useFakeGraph(group, { token: GRAPH_TOKEN })
  withDefaultQueueWorker(group)

  test('a text inside the 24-hour window is accepted (202), sent once and readable by id', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await apiTenant(cleanup, 'apim')
    const { contactId, conversationId, phone } = await customer(context, channel)

    const sent = await api('POST', '/api/v1/messages', {
      token,
      body: { channel_id: channel.id, contact_id: contactId, type: 'text', text: 'Renewed!' },
    })
    assert.equal(sent.status, 202)
    assert.include(sent.json, {
      status: 'pending',
      conversation_id: conversationId,
      contact_id: contactId,
      channel_id: channel.id,
      type: 'text',
    })
    assert.equal(sent.headers.get('location'), `/api/v1/messages/${sent.json.id}`)

    const message = await settled(context, sent.json.id)
    const sends = graph.sends().filter((call) => call.body.to === phone.slice(1))
    assert.lengthOf(sends, 1)
    assert.deepInclude(sends[0].body, {
      type: 'text',
      text: { body: 'Renewed!', preview_url: false },
    })

    const read = await api('GET', `/api/v1/messages/${sent.json.id}`, { token })
    assert.equal(read.status, 200)
    assert.include(read.json, {
      id: sent.json.id,
      direction: 'outbound',
      body: 'Renewed!',
      status: message.status,
      external_id: message.externalId,
      is_note: false,
    })
    const listed = await api('GET', `/api/v1/conversations/${conversationId}/messages`, { token })
    assert.deepEqual(
      listed.json.data.map((m: { id: string }) => m.id),
      [sent.json.id]
    )
    assert.equal((await api('GET', `/api/v1/messages/${randomUUID()}`, { token })).status, 404)
  })

  test('the inbox’s checks: the 24-hour window, opt-out, template variables, one recipient', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await apiTenant(cleanup, 'apim')
    const late = await customer(context, channel, { hoursAgo: 30 })
    const optedOut = await customer(context, channel, { optedOut: true })
    const template = await approvedTemplate(context, channel.id, { variables: 2 })
    const send = (body: Record<string, unknown>) =>
      api('POST', '/api/v1/messages', { token, body: { channel_id: channel.id, ...body } })

    const window = await send({ contact_id: late.contactId, type: 'text', text: 'Hi again' })
    assert.equal(window.status, 422)
    assert.equal(window.json.error.code, 'outside_window')

    const optOut = await send({ contact_id: optedOut.contactId, type: 'text', text: 'Hi' })
    assert.equal(optOut.status, 422)
    assert.equal(optOut.json.error.code, 'contact_opted_out')

    const variables = await send({
      contact_id: late.contactId,
      type: 'template',
      template: { ...template, variables: ['only one'] },
    })
    assert.equal(variables.status, 422)
    assert.equal(variables.json.error.code, 'validation_failed')
    assert.isArray(variables.json.error.fields['template.variables'])

    const unknownTemplate = await send({
      contact_id: late.contactId,
      type: 'template',
      template: { name: 'no_such_template', language: 'en_US' },
    })
    assert.equal(unknownTemplate.status, 422)
    assert.isArray(unknownTemplate.json.error.fields['template.name'])

    const both = await send({ contact_id: late.contactId, to: late.phone, type: 'text', text: 'x' })
    assert.equal(both.status, 422)
    assert.property(both.json.error.fields, 'contact_id')

    const missingPart = await send({ contact_id: late.contactId, type: 'media' })
    assert.equal(missingPart.status, 422)
    assert.property(missingPart.json.error.fields, 'media')

    const typo = await send({ contact_id: late.contactId, type: 'text', txt: 'Hi' })
    assert.equal(typo.status, 422)
    assert.equal(typo.json.error.code, 'unknown_field')

    const interactive = await send({
      contact_id: late.contactId,
      type: 'interactive',
      interactive: { type: 'buttons', body: 'Pick', buttons: [] },
    })
    assert.equal(interactive.status, 422)
    assert.isArray(interactive.json.error.fields['interactive.buttons'])

    // A template goes out whatever the window; nothing was queued by the refusals.
    const ok = await send({
      contact_id: late.contactId,
      type: 'template',
      template: { ...template, variables: ['Amira', '1 May'] },
    })
    assert.equal(ok.status, 202)
    const count = await context.transaction((trx) =>
      trx.from('messages').count('* as total').first()
    )
    assert.equal(Number(count.total), 1)
  })

  test('to: a new number gets a template (contact and conversation created), never free text', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await apiTenant(cleanup, 'apim')
    const template = await approvedTemplate(context, channel.id, { variables: 0 })
    const phone = freshPhone()

    const text = await api('POST', '/api/v1/messages', {
      token,
      body: { channel_id: channel.id, to: phone, type: 'text', text: 'Hello' },
    })
    assert.equal(text.status, 422)
    assert.equal(text.json.error.code, 'outside_window')
    // No empty conversation was opened just to be refused.
    const conversations = await context.transaction((trx) => Conversation.query({ client: trx }))
    assert.lengthOf(conversations, 0)

    const sent = await api('POST', '/api/v1/messages', {
      token,
      body: { channel_id: channel.id, to: phone, type: 'template', template },
    })
    assert.equal(sent.status, 202)
    const contact = await api('GET', `/api/v1/contacts/${sent.json.contact_id}`, { token })
    assert.include(contact.json, { phone, source: 'api' })
    const conversation = await api('GET', `/api/v1/conversations/${sent.json.conversation_id}`, {
      token,
    })
    assert.include(conversation.json, { status: 'open', contact_id: sent.json.contact_id })
    await settled(context, sent.json.id)
    const sends = graph.sends().filter((call) => call.body.to === phone.slice(1))
    assert.lengthOf(sends, 1)
    assert.equal(sends[0].body.template.name, template.name)
  })

  test('media by link and by WhatsApp media id', async ({ assert, cleanup }) => {
    const { context, channel, token } = await apiTenant(cleanup, 'apim')
    const { contactId, phone } = await customer(context, channel)
    const byLink = await api('POST', '/api/v1/messages', {
      token,
      body: {
        channel_id: channel.id,
        contact_id: contactId,
        type: 'media',
        media: { kind: 'image', link: 'https://cdn.example.test/car.jpg', caption: 'Your car' },
      },
    })
    assert.equal(byLink.status, 202)
    const byId = await api('POST', '/api/v1/messages', {
      token,
      body: {
        channel_id: channel.id,
        contact_id: contactId,
        type: 'media',
        media: { kind: 'document', id: '1480230012345678', filename: 'policy.pdf' },
      },
    })
    assert.equal(byId.status, 202)
    await settled(context, byLink.json.id)
    await settled(context, byId.json.id)
    const bodies = graph
      .sends()
      .filter((call) => call.body.to === phone.slice(1))
      .map((call) => call.body)
    assert.deepInclude(bodies, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: phone.slice(1),
      type: 'image',
      image: { link: 'https://cdn.example.test/car.jpg', caption: 'Your car' },
    })
    assert.deepInclude(bodies, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: phone.slice(1),
      type: 'document',
      document: { id: '1480230012345678', filename: 'policy.pdf' },
    })
  })

  test('the same idempotent send 10 times at once makes one message and one Graph call', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token } = await apiTenant(cleanup, 'apim')
    const { contactId, phone } = await customer(context, channel)
    const key = randomUUID()
    const body = { channel_id: channel.id, contact_id: contactId, type: 'text', text: 'Once' }

    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        api('POST', '/api/v1/messages', { token, body, headers: { 'Idempotency-Key': key } })
      )
    )
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(10).fill(202)
    )
    assert.lengthOf(new Set(answers.map((answer) => answer.text)), 1)
    assert.equal(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true').length, 9)

    const messages = await context.transaction((trx) => Message.query({ client: trx }))
    assert.lengthOf(messages, 1)
    await settled(context, messages[0].id)
    assert.lengthOf(
      graph.sends().filter((call) => call.body.to === phone.slice(1)),
      1
    )

    const other = await api('POST', '/api/v1/messages', {
      token,
      body: { ...body, text: 'Something else' },
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(other.status, 409)
    assert.equal(other.json.error.code, 'idempotency_key_reused')
    assert.lengthOf(await context.transaction((trx) => Message.query({ client: trx })), 1)
  })

  test('a send’s answer is stored sealed with its message and replays byte for byte', async ({
    assert,
    cleanup,
  }) => {
    const { context, tenant, key, send } = await keyedSend(cleanup, 'Sealed')

    const first = await send()
    assert.equal(first.status, 202)
    const row = await db
      .from('api_idempotency')
      .where('tenant_id', tenant.id)
      .where('idempotency_key', key)
      .firstOrFail()
    assert.equal(row.status, 'done')
    assert.equal(row.response_status, 202)
    assert.deepEqual(row.response_headers, { Location: `/api/v1/messages/${first.json.id}` })
    assert.isTrue(String(row.response_body).startsWith('enc:v1:'))
    assert.notInclude(String(row.response_body), first.json.id)

    const again = await send()
    assert.equal(again.status, 202)
    assert.equal(again.headers.get('idempotent-replayed'), 'true')
    assert.equal(again.headers.get('location'), `/api/v1/messages/${first.json.id}`)
    assert.equal(again.text, first.text)
    const stored = await context.transaction((trx) => Message.query({ client: trx }))
    assert.lengthOf(stored, 1)
    assert.equal(stored[0].createdAt.toUTC().toISO(), first.json.created_at)
  })

  test('a key reused after its 24 hours answers the first message, and then replays that', async ({
    assert,
    cleanup,
  }) => {
    const { context, tenant, key, send } = await keyedSend(cleanup, 'Late')

    const first = await send()
    assert.equal(first.status, 202)
    // The API forgot the key (its 24 hours passed); the message row still has it.
    await db
      .from('api_idempotency')
      .where('tenant_id', tenant.id)
      .where('idempotency_key', key)
      .delete()

    const later = await send()
    assert.equal(later.status, 202)
    assert.isNull(later.headers.get('idempotent-replayed'))
    assert.equal(later.json.id, first.json.id)
    const replay = await send()
    assert.equal(replay.headers.get('idempotent-replayed'), 'true')
    assert.equal(replay.text, later.text)
    assert.lengthOf(await context.transaction((trx) => Message.query({ client: trx })), 1)
  })

  test('a repeat after its channel was disabled still replays the first answer', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, send } = await keyedSend(cleanup, 'Before')
    const first = await send()
    assert.equal(first.status, 202)
    channel.status = 'disabled'
    await channel.save()

    const again = await send()
    assert.equal(again.status, 202)
    assert.equal(again.headers.get('idempotent-replayed'), 'true')
    assert.equal(again.text, first.text)
    assert.lengthOf(await context.transaction((trx) => Message.query({ client: trx })), 1)
  })

  test('a used key with another, invalid body is 409; a refused send leaves its key free', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel, token, key, send } = await keyedSend(cleanup, 'First')
    const first = await send()
    assert.equal(first.status, 202)
    const post = (body: Record<string, unknown>, idempotencyKey: string) =>
      api('POST', '/api/v1/messages', {
        token,
        body: { channel_id: channel.id, ...body },
        headers: { 'Idempotency-Key': idempotencyKey },
      })

    const invalid = await post({ contact_id: randomUUID(), type: 'text' }, key)
    assert.equal(invalid.status, 409)
    assert.equal(invalid.json.error.code, 'idempotency_key_reused')

    const fresh = randomUUID()
    const unknown = await post({ contact_id: randomUUID(), type: 'text', text: 'Hi' }, fresh)
    assert.equal(unknown.status, 422)
    assert.equal(unknown.json.error.code, 'validation_failed')
    const { contactId } = await customer(context, channel)
    const fixed = await post({ contact_id: contactId, type: 'text', text: 'Hi' }, fresh)
    assert.equal(fixed.status, 202)
    assert.isNull(fixed.headers.get('idempotent-replayed'))
    assert.lengthOf(await context.transaction((trx) => Message.query({ client: trx })), 2)
  })
})
