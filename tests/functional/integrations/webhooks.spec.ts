import { test } from '@japa/runner'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import { Queue } from 'bullmq'
import { queueOutboundMessage } from '#modules/channels/index'
import {
  assignConversation,
  createContact,
  resolveConversation,
  updateContact,
} from '#modules/inbox/index'
import { createFileSource } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import WebhookDelivery from '#modules/integrations/models/webhook_delivery'
import WebhookSubscription from '#modules/integrations/models/webhook_subscription'
import {
  WebhookError,
  createSubscription,
} from '#modules/integrations/services/webhook_subscription_service'
import { retryDelayMs } from '#modules/integrations/services/webhook_delivery_service'
import { sweepStrandedDeliveries } from '#modules/integrations/services/webhook_recovery'
import type webhooksConfig from '#config/webhooks'
import type queueConfig from '#config/queue'
import { makeTenant } from '#tests/helpers/tenants'
import { useWorkers } from '#tests/helpers/queue'
import { waitForMail } from '#tests/helpers/mail'
import { makeMember } from '#tests/helpers/users'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook as postWhatsApp,
  waId,
  webhook as whatsappWebhook,
} from '#tests/helpers/whatsapp'
import { freshPhone } from './api_client.js'
import { startReceiver } from './webhook_receiver.js'

/*
| Outbound webhooks end to end: a real event (a contact created through the
| channels service), the real queue worker, and a local receiver over HTTP.
*/

/** Retries in milliseconds instead of seconds, for this group only. */
function fastRetries(group: Parameters<Parameters<typeof test.group>[1]>[0]) {
  group.setup(() => {
    const previous = app.config.get<typeof webhooksConfig>('webhooks')
    app.config.set('webhooks', { ...previous, retryBaseDelayMs: 20, timeoutMs: 2_000 })
    return () => app.config.set('webhooks', previous)
  })
}

async function deliveriesOf(tenant: TenantContext, subscriptionId: string) {
  return tenant.transaction((trx) =>
    WebhookDelivery.query({ client: trx })
      .where('subscription_id', subscriptionId)
      .orderBy('created_at')
  )
}

/** Polls until the delivery reaches `status` (2 s at most). */
async function waitForStatus(tenant: TenantContext, subscriptionId: string, status: string) {
  const deadline = Date.now() + 4_000
  for (;;) {
    const [delivery] = await deliveriesOf(tenant, subscriptionId)
    if (delivery?.status === status) return delivery
    if (Date.now() > deadline) {
      throw new Error(`delivery is ${delivery?.status ?? 'missing'}, expected ${status}`)
    }
    await sleep(20)
  }
}

/** The README's verification snippet, written to a module and imported. */
async function readmeVerifier() {
  const readme = await readFile(app.makePath('README.md'), 'utf8')
  const block = readme.match(
    /<!-- webhook-verify:start -->\s*```js\n([\s\S]*?)```\s*<!-- webhook-verify:end -->/
  )
  if (!block) throw new Error('README.md has no webhook-verify block')
  const dir = app.tmpPath('webhook-readme')
  await mkdir(dir, { recursive: true })
  const file = `${dir}/verify-${randomBytes(4).toString('hex')}.mjs`
  await writeFile(file, block[1])
  const module = await import(file)
  return module.verifyFloMastr as (secret: string, header: string, body: string) => boolean
}

test.group('Webhooks: delivery', (group) => {
  useWorkers(group, ['webhooks'])
  fastRetries(group)

  test('a new contact reaches its subscriber once, signed so that the README snippet verifies it', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, cleanup: drop } = await makeTenant('wh')
    cleanup(drop)
    const receiver = await startReceiver(cleanup)
    const subscription = await createSubscription(context, {
      url: receiver.url,
      events: ['contact.created'],
    })
    // Not subscribed to this one: it must not arrive.
    const other = await createSubscription(context, { url: receiver.url, events: ['message.sent'] })

    const contact = await createContact(context, {
      phone: freshPhone(),
      name: 'Noor',
      optIn: 'unknown',
    })
    const [request] = await receiver.waitFor(1)

    assert.equal(request.headers['content-type'], 'application/json')
    assert.match(String(request.headers['user-agent']), /^FloMastr-Webhooks\//)
    assert.equal(request.headers['x-flomastr-event-type'], 'contact.created')
    assert.match(String(request.headers['x-flomastr-signature']), /^t=\d+,v1=[0-9a-f]{64}$/)
    assert.equal(request.json.id, request.headers['x-flomastr-event-id'])
    assert.equal(request.json.type, 'contact.created')
    assert.deepEqual(request.json.tenant, { id: tenant.id, slug: tenant.slug })
    assert.equal(request.json.data.id, contact.id)
    assert.equal(request.json.data.name, 'Noor')
    assert.equal(request.json.data.phone, contact.phone)
    assert.match(request.json.created_at, /^\d{4}-\d\d-\d\dT.*Z$/)

    const verify = await readmeVerifier()
    const header = String(request.headers['x-flomastr-signature'])
    assert.isTrue(verify(subscription.secret, header, request.body))
    assert.isFalse(verify(subscription.secret, header, request.body.replace('Noor', 'Nour')))
    assert.isFalse(verify(other.secret, header, request.body))

    const delivered = await waitForStatus(context, subscription.id, 'delivered')
    assert.equal(delivered.attempts, 1)
    assert.equal(delivered.lastStatusCode, 200)
    assert.lengthOf(await deliveriesOf(context, other.id), 0)

    // The same internal event again (an inbound batch replayed after a crash): no second delivery.
    await emitter.emit('contact:created', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      contactId: contact.id,
      source: 'manual',
    })
    assert.lengthOf(await deliveriesOf(context, subscription.id), 1)
    assert.lengthOf(receiver.requests, 1)
  })

  test('a receiver that fails three times then succeeds gets the event exactly once more', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('wh')
    cleanup(drop)
    const receiver = await startReceiver(cleanup, 500, 502, 503, 200)
    const subscription = await createSubscription(context, { url: receiver.url, events: ['*'] })

    await createContact(context, { phone: freshPhone(), optIn: 'unknown' })
    const delivered = await waitForStatus(context, subscription.id, 'delivered')

    assert.equal(delivered.attempts, 4)
    assert.deepEqual(
      receiver.requests.map((r) => r.status),
      [500, 502, 503, 200]
    )
    assert.lengthOf(new Set(receiver.requests.map((r) => r.json.id)), 1, 'one event id throughout')
    assert.isNull(delivered.nextAttemptAt)

    // The job is finished: nothing is left that could send it again.
    const { defaultConnection, queue } = app.config.get<typeof queueConfig>('queue')
    const bull = new Queue('webhooks', { connection: defaultConnection, prefix: queue.prefix })
    cleanup(() => bull.close())
    const job = await bull.getJob(`webhook-${context.slug}-${delivered.id}`)
    assert.equal(await job!.getState(), 'completed')
    assert.lengthOf(receiver.requests, 4)

    // Recovered: the subscription is no longer counted as failing.
    const fresh = await context.transaction((trx) =>
      WebhookSubscription.findOrFail(subscription.id, { client: trx })
    )
    assert.isNull(fresh.failingSince)
    assert.isTrue(fresh.active)
  })

  test('retries back off exponentially with jitter, capped', async ({ assert }) => {
    const { retryBaseDelayMs, maxRetryDelayMs } = app.config.get<typeof webhooksConfig>('webhooks')
    assert.equal(retryDelayMs(1, 0), retryBaseDelayMs)
    assert.equal(retryDelayMs(2, 0), retryBaseDelayMs * 2)
    assert.equal(retryDelayMs(5, 0), retryBaseDelayMs * 16)
    assert.equal(retryDelayMs(3, 1), Math.round(retryBaseDelayMs * 4 * 0.8))
    assert.equal(retryDelayMs(60, 0), maxRetryDelayMs)
  })

  test('a subscription failing for a day is turned off and the owners are told', async ({
    assert,
    cleanup,
  }) => {
    const ownerEmail = `owner-${randomBytes(4).toString('hex')}@wh.test`
    const { context, cleanup: drop } = await makeTenant('wh', {
      email: ownerEmail,
      password: 'secret-pass-1',
    })
    cleanup(drop)
    const receiver = await startReceiver(cleanup, 500)
    const subscription = await createSubscription(context, {
      url: receiver.url,
      events: ['contact.created', 'contact.updated'],
    })
    await context.transaction((trx) =>
      trx
        .from('webhook_subscriptions')
        .where('id', subscription.id)
        .update({ failing_since: new Date(Date.now() - 25 * 3600_000) })
    )

    await createContact(context, { phone: freshPhone(), optIn: 'unknown' })
    const failed = await waitForStatus(context, subscription.id, 'failed')
    assert.equal(failed.attempts, 1)
    assert.equal(failed.lastStatusCode, 500)

    const off = await context.transaction((trx) =>
      WebhookSubscription.findOrFail(subscription.id, { client: trx })
    )
    assert.isFalse(off.active)
    assert.equal(off.disabledReason, 'failing')
    assert.isNotNull(off.disabledAt)

    const mail = await waitForMail(ownerEmail)
    assert.include(mail.subject, 'was turned off')
    assert.include(mail.text ?? '', receiver.url)
    assert.include(mail.text ?? '', `/settings/webhooks/${subscription.id}`)

    // Off means off: the next event is not even queued.
    await createContact(context, { phone: freshPhone(), optIn: 'unknown' })
    assert.lengthOf(await deliveriesOf(context, subscription.id), 1)
    assert.lengthOf(receiver.requests, 1)
  })

  test('a delivery whose job was never queued is picked up by the recovery sweep', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('wh')
    cleanup(drop)
    const receiver = await startReceiver(cleanup)
    const subscription = await createSubscription(context, { url: receiver.url, events: ['*'] })
    // As if Redis had refused the job: a row, eleven minutes old, and no job.
    const body = JSON.stringify({ id: 'evt_stranded', type: 'contact.created', data: {} })
    await context.transaction((trx) =>
      trx.table('webhook_deliveries').insert({
        subscription_id: subscription.id,
        event_id: 'evt_stranded',
        event_type: 'contact.created',
        body,
        updated_at: new Date(Date.now() - 11 * 60_000),
      })
    )
    assert.isAtLeast(await sweepStrandedDeliveries(), 1)
    const [request] = await receiver.waitFor(1)
    assert.equal(request.body, body)
    await waitForStatus(context, subscription.id, 'delivered')
    // Delivered: a second sweep finds nothing of this tenant's to queue.
    await sweepStrandedDeliveries()
    assert.lengthOf(receiver.requests, 1)
  })

  test('410 Gone turns the subscription off at once', async ({ assert, cleanup }) => {
    const { context, cleanup: drop } = await makeTenant('wh')
    cleanup(drop)
    const receiver = await startReceiver(cleanup, 410)
    const subscription = await createSubscription(context, { url: receiver.url, events: ['*'] })
    await createContact(context, { phone: freshPhone(), optIn: 'unknown' })
    const failed = await waitForStatus(context, subscription.id, 'failed')
    assert.equal(failed.attempts, 1)
    const off = await context.transaction((trx) =>
      WebhookSubscription.findOrFail(subscription.id, { client: trx })
    )
    assert.isFalse(off.active)
    assert.equal(off.disabledReason, 'gone')
  })
})

test.group('Webhooks: private targets', (group) => {
  useWorkers(group, ['webhooks'])
  fastRetries(group)

  test('a loopback target is refused at subscription and at delivery when ALLOW_PRIVATE_WEBHOOK_TARGETS is off', async ({
    assert,
    cleanup,
  }) => {
    const { context, cleanup: drop } = await makeTenant('wh')
    cleanup(drop)
    const receiver = await startReceiver(cleanup)
    // Subscribed while allowed (as in tests), then the operator turns it off.
    const subscription = await createSubscription(context, { url: receiver.url, events: ['*'] })
    const previous = app.config.get<typeof webhooksConfig>('webhooks')
    app.config.set('webhooks', { ...previous, allowPrivateTargets: false })
    cleanup(() => app.config.set('webhooks', previous))

    for (const url of [
      receiver.url,
      'http://localhost:9/x',
      'http://169.254.169.254/latest',
      'http://[::1]/x',
    ]) {
      const error = await createSubscription(context, { url, events: ['*'] }).catch((e) => e)
      assert.instanceOf(error, WebhookError, url)
      assert.equal(error.code, 'private_target', url)
      assert.equal(error.field, 'url')
    }

    await createContact(context, { phone: freshPhone(), optIn: 'unknown' })
    const deadline = Date.now() + 3_000
    let delivery: WebhookDelivery | undefined
    while (Date.now() < deadline) {
      ;[delivery] = await deliveriesOf(context, subscription.id)
      if (delivery && delivery.attempts > 0) break
      await sleep(20)
    }
    assert.isAbove(delivery!.attempts, 0)
    assert.isNull(delivery!.lastStatusCode)
    assert.match(delivery!.lastError ?? '', /private or reserved address/)
    assert.lengthOf(receiver.requests, 0, 'no request reached the loopback receiver')
  })
})

test.group('Webhooks: every event from the modules that raise it', (group) => {
  useFakeGraph(group, { token: 'test-access-token' })
  useWorkers(group, ['inbound', 'default', 'webhooks'])
  fastRetries(group)

  test('a "*" subscriber receives each event type with the API representation of its resource', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('whe')
    cleanup(wa.cleanup)
    const agent = await makeMember(wa.tenant.id, 'agent')
    cleanup(() => agent.delete())
    const receiver = await startReceiver(cleanup)
    await createSubscription(wa.context, { url: receiver.url, events: ['*'] })
    const byType = async (type: string) => {
      const deadline = Date.now() + 8_000
      for (;;) {
        const found = receiver.requests.find((r) => r.json?.type === type)
        if (found) return found.json
        if (Date.now() > deadline) {
          throw new Error(`no ${type}; got ${receiver.requests.map((r) => r.json?.type)}`)
        }
        await sleep(25)
      }
    }

    // A customer writes in over WhatsApp (the real webhook path).
    const from = waId()
    const posted = await postWhatsApp(
      whatsappWebhook(wa, { messages: [messages.text({ from }, 'Is it still available?')] }),
      wa.appSecret
    )
    assert.equal(posted.status, 200)
    const received = await byType('message.received')
    assert.equal(received.data.direction, 'inbound')
    assert.equal(received.data.body, 'Is it still available?')
    const contact = (await byType('contact.created')).data
    assert.equal(contact.wa_id, from)
    const opened = (await byType('conversation.created')).data
    assert.equal(opened.id, received.data.conversation_id)
    assert.equal(opened.contact_id, contact.id)

    await assignConversation(wa.context, opened.id, agent.id, null)
    assert.equal((await byType('conversation.assigned')).data.assignee_id, agent.id)

    await queueOutboundMessage(wa.context, {
      conversationId: opened.id,
      content: { type: 'text', text: 'Yes, it is!' },
      authorType: 'agent',
      authorId: agent.id,
    })
    const sent = (await byType('message.sent')).data
    assert.equal(sent.direction, 'outbound')
    assert.equal(sent.body, 'Yes, it is!')
    const status = (await byType('message.status')).data
    assert.equal(status.id, sent.id)
    assert.notEqual(status.status, 'pending')

    await resolveConversation(wa.context, opened.id, null)
    assert.equal((await byType('conversation.resolved')).data.status, 'resolved')

    await updateContact(wa.context, contact.id, { name: 'Layla', optIn: 'opted_in' })
    const updated = (await byType('contact.updated')).data
    assert.equal(updated.name, 'Layla')
    assert.equal(updated.opt_in, 'opted_in')

    // Raised by the assistant module; the mapping to the public event is ours.
    await emitter.emit('handoff:requested', {
      tenant: wa.tenant.slug,
      tenantId: wa.tenant.id,
      conversationId: opened.id,
      reason: 'The customer asked for a person',
      requestedBy: 'contact',
    })
    const handoff = (await byType('handoff.requested')).data
    assert.equal(handoff.conversation.id, opened.id)
    assert.equal(handoff.requested_by, 'contact')

    const source = await createFileSource(wa.context, {
      bytes: Buffer.from('Opening hours: nine to five, Sunday to Thursday.'),
      filename: 'hours.txt',
    })
    const ready = (await byType('knowledge.source_ready')).data
    assert.equal(ready.id, source.id)
    assert.equal(ready.status, 'ready')

    for (const request of receiver.requests) {
      assert.equal(request.headers['x-flomastr-event-type'], request.json.type)
    }
  }).timeout(30_000)
})
