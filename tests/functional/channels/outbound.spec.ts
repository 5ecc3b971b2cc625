import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  addSandboxChannel,
  addWhatsAppChannel,
  Message,
  queueOutboundMessage,
} from '#modules/channels/index'
import { Conversation } from '#modules/inbox/index'
import { systemActor, type TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { customer } from '#tests/helpers/whatsapp'

const TOKEN = `token-${randomBytes(6).toString('hex')}`

async function settled(context: TenantContext, messageId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const message = await context.transaction((trx) =>
      Message.query({ client: trx }).where('id', messageId).firstOrFail()
    )
    if (message.externalId || message.status === 'failed') return message
    await sleep(100)
  }
  throw new Error(`message ${messageId} still pending after ${timeoutMs} ms`)
}

async function refused(promise: Promise<unknown>) {
  try {
    await promise
  } catch (error) {
    return (error as { code?: string }).code
  }
  return null
}

test.group('Outbound messages', (group) => {
  const graph = useFakeGraph(group, { token: TOKEN })
  withDefaultQueueWorker(group)

  async function whatsappTenant(cleanup: (fn: () => Promise<void>) => void, settings = {}) {
    const made = await makeTenant('out')
    cleanup(made.cleanup)
    const channel = await addWhatsAppChannel(
      made.tenant,
      {
        phoneNumberId: String(Date.now()) + randomBytes(2).readUInt16BE(0),
        wabaId: '5678',
        displayNumber: '+15550009999',
        accessToken: TOKEN,
        appSecret: 'secret',
        verifyToken: 'verify',
        settings,
      },
      systemActor
    )
    return { ...made, channel }
  }

  test('a text reaches WhatsApp once, with the number’s token, and records its wamid', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await whatsappTenant(cleanup)
    const { conversationId, phone } = await customer(context, channel)
    const before = graph.sends().length

    const queued = await queueOutboundMessage(context, {
      conversationId,
      content: { type: 'text', text: 'Your policy renews on 1 May.' },
      authorType: 'agent',
    })
    assert.equal(queued.status, 'pending')
    const message = await settled(context, queued.id)

    const sends = graph.sends().slice(before)
    assert.lengthOf(sends, 1)
    assert.equal(sends[0].path, `/v21.0/${channel.phoneNumberId}/messages`)
    assert.equal(sends[0].authorization, `Bearer ${TOKEN}`)
    assert.deepInclude(sends[0].body, { to: phone.slice(1), type: 'text' })
    assert.match(message.externalId!, /^wamid\./)
    assert.equal(message.status, 'queued')
  })

  test('the same idempotency key twice sends one message', async ({ assert, cleanup }) => {
    const { context, channel } = await whatsappTenant(cleanup)
    const { conversationId } = await customer(context, channel)
    const before = graph.sends().length
    const request = {
      conversationId,
      content: { type: 'text' as const, text: 'Once only' },
      authorType: 'agent' as const,
      idempotencyKey: `key-${randomBytes(4).toString('hex')}`,
    }
    const [first, second] = await Promise.all([
      queueOutboundMessage(context, request),
      queueOutboundMessage(context, request),
    ])
    assert.equal(first.id, second.id)
    await settled(context, first.id)
    await sleep(300)
    assert.lengthOf(graph.sends().slice(before), 1)
  })

  test('a repeat with the same key answers the first message even after the window closed', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await whatsappTenant(cleanup)
    const { conversationId } = await customer(context, channel)
    const request = {
      conversationId,
      content: { type: 'text' as const, text: 'Before the window closed' },
      authorType: 'agent' as const,
      idempotencyKey: `key-${randomBytes(4).toString('hex')}`,
    }
    const first = await queueOutboundMessage(context, request)
    // The customer's last message is now 25 hours old: a new text is refused.
    await context.transaction((trx) =>
      trx
        .from('conversations')
        .where('id', conversationId)
        .update({ last_customer_message_at: new Date(Date.now() - 25 * 3_600_000) })
    )
    const again = await queueOutboundMessage(context, request)
    assert.equal(again.id, first.id)
    const fresh = await queueOutboundMessage(context, { ...request, idempotencyKey: null }).then(
      () => null,
      (error) => error.code
    )
    assert.equal(fresh, 'window_closed')
  })

  test('outside the 24-hour window only templates go out; opted-out contacts get nothing', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await whatsappTenant(cleanup)
    const stale = await customer(context, channel, { hoursAgo: 25 })
    assert.equal(
      await refused(
        queueOutboundMessage(context, {
          conversationId: stale.conversationId,
          content: { type: 'text', text: 'Hello again' },
          authorType: 'agent',
        })
      ),
      'window_closed'
    )
    await context.transaction((trx) =>
      trx.table('message_templates').insert({
        channel_id: channel.id,
        name: 'renewal_notice',
        language: 'en',
        category: 'UTILITY',
        status: 'APPROVED',
        body_variables: 1,
      })
    )
    const template = await queueOutboundMessage(context, {
      conversationId: stale.conversationId,
      content: { type: 'template', name: 'renewal_notice', language: 'en', variables: ['Sam'] },
      authorType: 'agent',
    })
    assert.isNotNull((await settled(context, template.id)).externalId)

    const optedOut = await customer(context, channel, { optedOut: true })
    assert.equal(
      await refused(
        queueOutboundMessage(context, {
          conversationId: optedOut.conversationId,
          content: { type: 'text', text: 'Hi' },
          authorType: 'agent',
        })
      ),
      'contact_opted_out'
    )
    assert.equal(
      await refused(
        queueOutboundMessage(context, {
          conversationId: stale.conversationId,
          content: { type: 'buttons', body: 'Pick', buttons: [{ id: 'a', title: 'x'.repeat(21) }] },
          authorType: 'agent',
        })
      ),
      'invalid_message'
    )
  })

  test('a 5xx is retried and the message goes out once', async ({ assert, cleanup }) => {
    const { context, channel } = await whatsappTenant(cleanup)
    const { conversationId } = await customer(context, channel)
    const before = graph.sends().length
    graph.fail(503, 131016, 'Service unavailable')

    const queued = await queueOutboundMessage(context, {
      conversationId,
      content: { type: 'text', text: 'Second time lucky' },
      authorType: 'agent',
    })
    const message = await settled(context, queued.id)
    assert.isNotNull(message.externalId)
    assert.lengthOf(graph.sends().slice(before), 2, 'one refused attempt, one accepted')
  }).timeout(30_000)

  test('131047 fails the message and closes the window; permanent errors are not retried', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await whatsappTenant(cleanup)
    const { conversationId } = await customer(context, channel)
    const before = graph.sends().length
    graph.fail(400, 131047, 'Re-engagement message')

    const queued = await queueOutboundMessage(context, {
      conversationId,
      content: { type: 'text', text: 'Are you there?' },
      authorType: 'agent',
    })
    const message = await settled(context, queued.id)
    assert.equal(message.status, 'failed')
    assert.equal(message.errorCode, 131047)
    assert.equal(message.errorTitle, 'Re-engagement message')
    await sleep(500)
    assert.lengthOf(graph.sends().slice(before), 1)

    assert.equal(
      await refused(
        queueOutboundMessage(context, {
          conversationId,
          content: { type: 'text', text: 'Hello?' },
          authorType: 'agent',
        })
      ),
      'window_closed'
    )
    const conversation = await context.transaction((trx) =>
      Conversation.query({ client: trx }).where('id', conversationId).firstOrFail()
    )
    assert.isNotNull(conversation.windowClosedAt)
  })

  test('when WhatsApp may have taken the message, a retry does not send it again', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await whatsappTenant(cleanup)
    const { conversationId } = await customer(context, channel)
    const before = graph.sends().length
    graph.reply({ drop: true })

    const queued = await queueOutboundMessage(context, {
      conversationId,
      content: { type: 'text', text: 'Maybe delivered' },
      authorType: 'agent',
    })
    const message = await settled(context, queued.id)
    assert.equal(message.status, 'failed')
    assert.match(message.errorTitle!, /Delivery unconfirmed/)
    assert.lengthOf(graph.sends().slice(before), 1, 'never sent a second time')
  }).timeout(30_000)

  test('a number with a rate of 2 per second never sends more than 2 in a second', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await whatsappTenant(cleanup, { messagesPerSecond: 2 })
    const { conversationId } = await customer(context, channel)
    const before = graph.calls.length
    const queued = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        queueOutboundMessage(context, {
          conversationId,
          content: { type: 'text', text: `Burst ${i}` },
          authorType: 'agent',
        })
      )
    )
    for (const message of queued) await settled(context, message.id)
    const times = graph.calls.slice(before).map((call) => call.at)
    assert.lengthOf(times, 6)
    // Any three consecutive sends span (almost) a second or more.
    for (let i = 2; i < times.length; i++) assert.isAtLeast(times[i] - times[i - 2], 900)
  }).timeout(30_000)

  test('another tenant’s conversation is not found; the sandbox sends without WhatsApp', async ({
    assert,
    cleanup,
  }) => {
    const mine = await whatsappTenant(cleanup)
    const theirs = await whatsappTenant(cleanup)
    const { conversationId } = await customer(theirs.context, theirs.channel)
    assert.equal(
      await refused(
        queueOutboundMessage(mine.context, {
          conversationId,
          content: { type: 'text', text: 'Not yours' },
          authorType: 'agent',
        })
      ),
      'not_found'
    )

    const sandbox = await addSandboxChannel(mine.tenant, systemActor)
    const onSandbox = await customer(mine.context, sandbox)
    const before = graph.calls.length
    const queued = await queueOutboundMessage(mine.context, {
      conversationId: onSandbox.conversationId,
      content: { type: 'text', text: 'To the simulated phone' },
      authorType: 'agent',
    })
    const message = await settled(mine.context, queued.id)
    assert.equal(message.status, 'sent')
    assert.lengthOf(graph.calls.slice(before), 0)
  })
})
