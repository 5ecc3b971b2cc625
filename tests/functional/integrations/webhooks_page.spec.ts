import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import type webhooksConfig from '#config/webhooks'
import { createContact } from '#modules/inbox/index'
import WebhookSubscription from '#modules/integrations/models/webhook_subscription'
import { createSubscription } from '#modules/integrations/services/webhook_subscription_service'
import { makeWorkspace } from '#tests/helpers/tenants'
import { useWorkers } from '#tests/helpers/queue'
import { WebSession } from '#tests/helpers/web_session'
import { signIn } from '#tests/functional/workspace/member_browser'
import { freshPhone } from './api_client.js'
import { startReceiver } from './webhook_receiver.js'

async function pollPage(web: WebSession, path: string, until: (body: string) => boolean) {
  const deadline = Date.now() + 4_000
  for (;;) {
    const page = await web.get(path)
    if (until(page.body)) return page
    if (Date.now() > deadline) throw new Error(`page never matched:\n${page.body.slice(0, 2000)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test.group('Webhooks page', (group) => {
  useWorkers(group, ['webhooks'])

  test('an owner adds a webhook, sends a test event, reads the log, redelivers, rotates, turns it off and deletes it', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'whp')
    const owner = await w.member('owner')
    const web = await signIn(owner)
    const list = `${w.base}/settings/webhooks`
    const receiver = await startReceiver(cleanup)

    const empty = await web.get(list)
    assert.equal(empty.status, 200)
    assert.include(empty.body, 'No webhooks yet')
    assert.include(empty.body, `href="${list}" aria-current="page"`)

    // No event chosen: the form comes back with the message and the URL kept.
    const refused = await web.submit(list, list, [['url', receiver.url]])
    assert.equal(refused.status, 302)
    const again = await web.get(refused.location!)
    assert.include(again.body, 'Choose at least one event.')
    assert.include(again.body, `value="${receiver.url}"`)

    const created = await web.submit(list, list, [
      ['url', receiver.url],
      ['description', 'Our n8n'],
      ['events', 'contact.created'],
      ['events', 'message.received'],
    ])
    assert.equal(created.status, 302)
    const subscription = await w.context.transaction((trx) =>
      WebhookSubscription.query({ client: trx }).firstOrFail()
    )
    assert.equal(created.location, `${list}/${subscription.id}`)
    assert.deepEqual(subscription.events, ['message.received', 'contact.created'])
    assert.equal(subscription.description, 'Our n8n')

    const page = `${list}/${subscription.id}`
    const shown = await web.get(page)
    assert.include(shown.body, `value="${subscription.secret}"`)
    assert.include(shown.body, 'Send test event')
    assert.include(shown.body, 'id="webhook-edit-event-contact-created" checked')
    assert.notInclude(shown.body, '@if(')

    const tested = await web.post(`${page}/test`, {})
    assert.equal(tested.status, 302)
    const [ping] = await receiver.waitFor(1)
    assert.equal(ping.json.type, 'webhook.test')
    assert.equal(ping.json.data.subscription_id, subscription.id)
    const logged = await pollPage(web, page, (body) =>
      body.includes('data-delivery-status="delivered"')
    )
    assert.include(logged.body, 'webhook.test')
    assert.match(logged.body, /<td dir="ltr">200<\/td>/)

    // The log alone, as htmx's refresh asks for it.
    const fragment = await fetch(`${WebSession.baseUrl()}${page}`, {
      headers: {
        'HX-Request': 'true',
        'HX-Target': 'delivery-log',
        'cookie': [...web.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    }).then((r) => r.text())
    assert.match(fragment.trim(), /^<div id="delivery-log"/)

    const deliveryId = logged.body.match(/data-delivery="([0-9a-f-]{36})"/)![1]
    const redelivered = await web.post(`${page}/deliveries/${deliveryId}/redeliver`, {})
    assert.equal(redelivered.status, 302)
    const requests = await receiver.waitFor(2)
    assert.equal(requests[1].json.id, ping.json.id, 'a redelivery keeps the event id')

    const before = subscription.secret
    await web.post(`${page}/secret`, {})
    const rotated = await w.context.transaction((trx) =>
      WebhookSubscription.findOrFail(subscription.id, { client: trx })
    )
    assert.notEqual(rotated.secret, before)

    await web.post(`${page}/status`, { active: '0' })
    const off = await web.get(page)
    assert.include(off.body, 'data-status="disabled"')
    await createContact(w.context, { phone: freshPhone(), optIn: 'unknown' })
    assert.lengthOf(receiver.requests, 2, 'a webhook turned off receives nothing')
    await web.post(`${page}/status`, { active: '1' })
    assert.include((await web.get(page)).body, 'data-status="active"')

    const deleted = await web.post(`${page}/delete`, {})
    assert.equal(deleted.location, list)
    assert.equal((await web.get(page)).status, 404)
  })

  test('a webhook turned off by us shows why, in Arabic too', async ({ assert, cleanup }) => {
    const w = await makeWorkspace(cleanup, 'whp')
    const owner = await w.member('owner')
    owner.locale = 'ar'
    await owner.save()
    const subscription = await createSubscription(w.context, {
      url: 'https://example.com/h',
      events: ['*'],
    })
    await w.context.transaction((trx) =>
      trx.from('webhook_subscriptions').where('id', subscription.id).update({
        active: false,
        disabled_reason: 'failing',
        disabled_at: new Date(),
      })
    )
    const web = await signIn(owner)
    const list = await web.get(`${w.base}/settings/webhooks`)
    assert.include(list.body, 'dir="rtl"')
    assert.include(list.body, 'خطافات الويب')
    assert.include(list.body, 'data-disabled-reason="failing"')
    assert.include(list.body, 'فشلت كل عمليات التسليم لمدة 24 ساعة')
  })

  test('a private address is refused in the form when private targets are not allowed', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'whp')
    const web = await signIn(await w.member('admin'))
    const previous = app.config.get<typeof webhooksConfig>('webhooks')
    app.config.set('webhooks', { ...previous, allowPrivateTargets: false })
    cleanup(() => app.config.set('webhooks', previous))
    const list = `${w.base}/settings/webhooks`
    const refused = await web.submit(list, list, [
      ['url', 'http://127.0.0.1:6379/'],
      ['events', '*'],
    ])
    const page = await web.get(refused.location!)
    assert.include(page.body, 'private or internal network')
    assert.include(page.body, 'aria-invalid="true"')
    const count = await w.context.transaction((trx) =>
      trx.from('webhook_subscriptions').count('* as n')
    )
    assert.equal(Number(count[0].n), 0)
  })

  test("another workspace's owner cannot see or change a webhook", async ({ assert, cleanup }) => {
    const home = await makeWorkspace(cleanup, 'whp')
    const away = await makeWorkspace(cleanup, 'whp')
    const subscription = await createSubscription(home.context, {
      url: 'https://example.com/h',
      events: ['*'],
    })
    const stranger = await signIn(await away.member('owner'))

    // Their own workspace's address with our id: not found there.
    const theirs = `${away.base}/settings/webhooks/${subscription.id}`
    assert.equal((await stranger.get(theirs)).status, 404)
    await stranger.get(`${away.base}/settings/webhooks`)
    for (const action of ['', '/status', '/secret', '/test', '/delete']) {
      const response = await stranger.post(`${theirs}${action}`, {
        active: '0',
        url: 'https://evil.example/h',
      })
      assert.equal(response.status, 404, action)
    }
    // Ours, addressed directly: not a member, so not found either.
    assert.equal(
      (await stranger.get(`${home.base}/settings/webhooks/${subscription.id}`)).status,
      404
    )
    const list = await stranger.get(`${away.base}/settings/webhooks`)
    assert.notInclude(list.body, subscription.id)

    const unchanged = await home.context.transaction((trx) =>
      WebhookSubscription.findOrFail(subscription.id, { client: trx })
    )
    assert.isTrue(unchanged.active)
    assert.equal(unchanged.secret, subscription.secret)
  })
})
