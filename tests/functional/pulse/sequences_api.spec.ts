import { test } from '@japa/runner'
import { setTimeout as sleep } from 'node:timers/promises'
import { runDueNow } from '#modules/pulse/index'
import { createSubscription } from '#modules/integrations/services/webhook_subscription_service'
import WebhookDelivery from '#modules/integrations/models/webhook_delivery'
import { api, makeKey } from '#tests/functional/integrations/api_client'
import { campaignTenant, contact } from './campaign_fixtures.js'
import { activeSequence } from './sequence_fixtures.js'

test.group('API sequences', () => {
  test('enroll (idempotent), list a contact’s enrollments, remove; completion sends sequence.completed', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel } = await campaignTenant(cleanup, {}, 'sqa')
    const { token } = await makeKey(tenant)
    const person = await contact(context, { label: 'lead', channelId: channel.id })
    const other = await contact(context, { label: 'lead', channelId: channel.id })
    const drip = await activeSequence(context, channel.id, [
      { type: 'wait', amount: 3, unit: 'days' },
    ])
    const short = await activeSequence(context, channel.id, [{ type: 'end' }], { name: 'Short' })
    const subscription = await createSubscription(context, {
      url: 'https://hooks.example.com/flomastr',
      events: ['sequence.completed'],
    })

    const key = `enr-${Date.now()}`
    const created = await api('POST', `/api/v1/sequences/${drip.id}/enrollments`, {
      token,
      body: { contact_id: person.id },
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(created.status, 201, created.text)
    assert.equal(created.json.status, 'active')
    assert.equal(created.json.source, 'api')
    assert.equal(created.json.sequence_name, 'Onboarding')
    const repeated = await api('POST', `/api/v1/sequences/${drip.id}/enrollments`, {
      token,
      body: { contact_id: person.id },
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(repeated.status, 201)
    assert.equal(repeated.json.id, created.json.id)
    const twice = await api('POST', `/api/v1/sequences/${drip.id}/enrollments`, {
      token,
      body: { contact_id: person.id },
    })
    assert.equal(twice.status, 409)
    assert.equal(twice.json.error.code, 'already_enrolled')
    const bad = await api('POST', `/api/v1/sequences/${drip.id}/enrollments`, {
      token,
      body: { contact_id: 'nope' },
    })
    assert.equal(bad.status, 422)
    assert.property(bad.json.error.fields, 'contact_id')

    const listed = await api('GET', `/api/v1/contacts/${person.id}/enrollments`, { token })
    assert.equal(listed.status, 200)
    assert.deepEqual(
      listed.json.data.map((e: any) => e.id),
      [created.json.id]
    )

    const removed = await api('DELETE', `/api/v1/sequences/${drip.id}/enrollments`, {
      token,
      body: { contact_id: person.id },
    })
    assert.equal(removed.status, 200, removed.text)
    assert.equal(removed.json.status, 'exited')
    assert.equal(removed.json.exit_reason, 'removed')
    const again = await api(
      'DELETE',
      `/api/v1/sequences/${drip.id}/enrollments?contact_id=${person.id}`,
      { token }
    )
    assert.equal(again.status, 404)

    const finishing = await api('POST', `/api/v1/sequences/${short.id}/enrollments`, {
      token,
      body: { contact_id: other.id },
    })
    assert.equal(finishing.status, 201)
    await runDueNow({ tenant: context })
    let deliveries: WebhookDelivery[] = []
    for (let i = 0; i < 50 && !deliveries.length; i++) {
      deliveries = await context.transaction((trx) =>
        WebhookDelivery.query({ client: trx }).where('subscription_id', subscription.id)
      )
      if (!deliveries.length) await sleep(50)
    }
    assert.lengthOf(deliveries, 1)
    assert.equal(deliveries[0].eventType, 'sequence.completed')
    const body = JSON.parse(deliveries[0].body)
    assert.equal(body.data.id, finishing.json.id)
    assert.equal(body.data.status, 'completed')
    assert.equal(body.data.contact_id, other.id)
  })

  test('scopes: sequences:read cannot enroll; another tenant’s sequence and contact are not found', async ({
    assert,
    cleanup,
  }) => {
    const mine = await campaignTenant(cleanup, {}, 'sqa')
    const theirs = await campaignTenant(cleanup, {}, 'sqb')
    const reader = await makeKey(mine.tenant, ['sequences:read'])
    const intruder = await makeKey(theirs.tenant)
    const { token } = await makeKey(mine.tenant)
    const person = await contact(mine.context, { label: 'lead', channelId: mine.channel.id })
    const stranger = await contact(theirs.context, { label: 'lead', channelId: theirs.channel.id })
    const sequence = await activeSequence(mine.context, mine.channel.id, [
      { type: 'wait', amount: 1, unit: 'days' },
    ])
    const path = `/api/v1/sequences/${sequence.id}/enrollments`

    const denied = await api('POST', path, { token: reader.token, body: { contact_id: person.id } })
    assert.equal(denied.status, 403)
    const list = await api('GET', `/api/v1/contacts/${person.id}/enrollments`, {
      token: reader.token,
    })
    assert.equal(list.status, 200)

    const foreign = await api('POST', path, { token, body: { contact_id: stranger.id } })
    assert.equal(foreign.status, 422)
    assert.property(foreign.json.error.fields, 'contact_id')

    assert.equal((await api('POST', path, { token, body: { contact_id: person.id } })).status, 201)
    for (const [method, url, body] of [
      ['POST', path, { contact_id: person.id }],
      ['DELETE', path, { contact_id: person.id }],
      ['GET', `/api/v1/contacts/${person.id}/enrollments`, undefined],
    ] as const) {
      const response = await api(method, url, { token: intruder.token, body })
      assert.equal(response.status, 404, `${method} ${url}`)
      assert.equal(response.json.error.code, 'not_found')
    }
    const still = await api('GET', `/api/v1/contacts/${person.id}/enrollments`, { token })
    assert.equal(still.json.data[0].status, 'active')
  })
})
