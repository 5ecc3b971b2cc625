import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import encryption from '@adonisjs/core/services/encryption'
import type webhooksConfig from '#config/webhooks'
import { makeTenant } from '#tests/helpers/tenants'
import { useWorkers } from '#tests/helpers/queue'
import { api, freshPhone, makeKey } from './api_client.js'
import { startReceiver } from './webhook_receiver.js'

/*
| /api/v1/webhooks and the REST Hooks Zapier and n8n use, over real HTTP
| with bearer tokens.
*/

test.group('Webhooks API and REST hooks', (group) => {
  useWorkers(group, ['webhooks'])

  test('a REST hook subscribes, receives its event, offers samples, and unsubscribes', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: drop } = await makeTenant('hk')
    cleanup(drop)
    const { token } = await makeKey(tenant)
    const receiver = await startReceiver(cleanup)

    // A sample before any contact exists: the fixed example.
    const fixed = await api('GET', '/api/v1/hooks/samples/contact.created', { token })
    assert.equal(fixed.status, 200)
    assert.equal(fixed.json.type, 'contact.created')
    assert.equal(fixed.json.data.phone, '+971501234567')
    assert.deepEqual(fixed.json.tenant, { id: tenant.id, slug: tenant.slug })

    const subscribed = await api('POST', '/api/v1/hooks', {
      token,
      body: { target_url: receiver.url, event: 'contact.created' },
    })
    assert.equal(subscribed.status, 201)
    assert.match(subscribed.json.id, /^[0-9a-f-]{36}$/)
    assert.equal(subscribed.json.event, 'contact.created')
    assert.match(subscribed.json.secret, /^whsec_/)

    const phone = freshPhone()
    const created = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone, name: 'Zapier Lead' },
    })
    assert.equal(created.status, 201)
    const [request] = await receiver.waitFor(1)
    assert.equal(request.json.type, 'contact.created')
    assert.equal(request.json.data.id, created.json.id)
    assert.deepEqual(request.json.data, created.json, 'the event carries what the API shows')

    // Now the sample is the workspace's own contact, with the id and time
    // its delivery carried.
    const real = await api('GET', '/api/v1/hooks/samples/contact.created', { token })
    assert.equal(real.json.data.phone, phone)
    assert.equal(real.json.id, request.json.id, "the sample's id is the delivery's")
    assert.equal(real.json.created_at, created.json.created_at)

    const listed = await api('GET', '/api/v1/webhooks', { token })
    assert.equal(listed.status, 200)
    assert.deepEqual(
      listed.json.data.map((w: any) => [w.id, w.created_via, w.events]),
      [[subscribed.json.id, 'rest_hook', ['contact.created']]]
    )
    assert.notProperty(listed.json.data[0], 'secret')

    // Zapier's SDK needs a JSON answer to an unsubscribe, and retries one
    // whose answer it lost: both are 200.
    const removed = await api('DELETE', `/api/v1/hooks/${subscribed.json.id}`, { token })
    assert.equal(removed.status, 200)
    assert.deepEqual(removed.json, { id: subscribed.json.id, deleted: true })
    const again = await api('DELETE', `/api/v1/hooks/${subscribed.json.id}`, { token })
    assert.equal(again.status, 200)
    assert.deepEqual(again.json, { id: subscribed.json.id, deleted: true })
    const minimal = await api('DELETE', `/api/v1/hooks/${subscribed.json.id}`, {
      token,
      headers: { Prefer: 'respond-async, return=minimal' },
    })
    assert.equal(minimal.status, 204)
    assert.equal(minimal.text, '')
    const never = await api('DELETE', '/api/v1/hooks/00000000-0000-4000-8000-000000000000', {
      token,
    })
    assert.equal(never.status, 404)
    assert.equal(never.json.error.code, 'not_found')
    await api('POST', '/api/v1/contacts', { token, body: { phone: freshPhone() } })
    assert.lengthOf(receiver.requests, 1)
  })

  test('samples come from the newest created record, with the id its delivery has', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: drop } = await makeTenant('hk')
    cleanup(drop)
    const { token } = await makeKey(tenant)
    const sample = async () =>
      (await api('GET', '/api/v1/hooks/samples/contact.created', { token })).json

    const fixed = await sample()
    assert.deepEqual(await sample(), fixed, 'the fixed example is the same on every call')
    assert.equal(fixed.created_at, '2026-01-15T09:30:00.000Z')

    const first = await api('POST', '/api/v1/contacts', { token, body: { phone: freshPhone() } })
    const second = await api('POST', '/api/v1/contacts', { token, body: { phone: freshPhone() } })
    // The first is then updated: a `.created` sample still shows the newest created.
    await api('PATCH', `/api/v1/contacts/${first.json.id}`, { token, body: { name: 'Changed' } })
    const newest = await sample()
    assert.equal(newest.data.id, second.json.id)
    assert.match(newest.id, /^evt_[0-9a-f]{32}$/)
    assert.notEqual(newest.id, fixed.id)
    assert.deepEqual(await sample(), newest, 'the same record gives the same sample')

    const updated = await api('GET', '/api/v1/hooks/samples/contact.updated', { token })
    assert.equal(updated.json.data.id, first.json.id, 'an update sample is the newest change')
    assert.equal(updated.json.data.name, 'Changed')

    const third = await api('POST', '/api/v1/contacts', { token, body: { phone: freshPhone() } })
    const later = await sample()
    assert.equal(later.data.id, third.json.id)
    assert.notEqual(later.id, newest.id, 'a newer record is a new sample for "load more"')
  })

  test('GET /me says which integrations the key is enough for', async ({ assert, cleanup }) => {
    const { tenant, cleanup: drop } = await makeTenant('hk')
    cleanup(drop)
    const { token: full } = await makeKey(tenant)
    const { token: contactsOnly } = await makeKey(tenant, ['contacts:write'])

    const all = await api('GET', '/api/v1/me', { token: full })
    assert.equal(all.status, 200)
    assert.isTrue(all.json.integrations.zapier.sufficient)
    assert.isTrue(all.json.integrations.n8n.sufficient)
    assert.deepEqual(all.json.integrations.zapier.missing_scopes, [])

    const some = await api('GET', '/api/v1/me', { token: contactsOnly })
    assert.deepEqual(some.json.api_key.scopes, ['contacts:write'])
    const zapier = some.json.integrations.zapier
    assert.isFalse(zapier.sufficient)
    assert.include(zapier.missing_scopes, 'webhooks:write')
    assert.notInclude(zapier.missing_scopes, 'contacts:read', 'contacts:write implies reading')
    const parts = Object.fromEntries(zapier.features.map((f: any) => [f.name, f.sufficient]))
    assert.isTrue(parts.contacts)
    assert.isFalse(parts.triggers)
    assert.isFalse(parts.searches, 'searches also need conversations:read')
  })

  test('webhooks CRUD: create with secret, update, rotate, deliveries, delete', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: drop } = await makeTenant('hk')
    cleanup(drop)
    const { token } = await makeKey(tenant, ['webhooks:write'])

    const created = await api('POST', '/api/v1/webhooks', {
      token,
      body: {
        url: 'http://127.0.0.1:9/hook',
        events: ['message.received', 'message.status'],
        description: 'CRM',
      },
      headers: { 'Idempotency-Key': 'create-webhook-1' },
    })
    assert.equal(created.status, 201)
    assert.equal(created.headers.get('location'), `/api/v1/webhooks/${created.json.id}`)
    assert.deepEqual(created.json.events, ['message.received', 'message.status'])
    assert.equal(created.json.created_via, 'api')
    assert.isTrue(created.json.active)
    const secret = created.json.secret
    assert.match(secret, /^whsec_/)

    const replay = await api('POST', '/api/v1/webhooks', {
      token,
      body: {
        url: 'http://127.0.0.1:9/hook',
        events: ['message.received', 'message.status'],
        description: 'CRM',
      },
      headers: { 'Idempotency-Key': 'create-webhook-1' },
    })
    assert.equal(replay.json.id, created.json.id)
    assert.equal((await api('GET', '/api/v1/webhooks', { token })).json.data.length, 1)

    const shown = await api('GET', `/api/v1/webhooks/${created.json.id}`, { token })
    assert.equal(shown.status, 200)
    assert.notProperty(shown.json, 'secret')

    const updated = await api('PATCH', `/api/v1/webhooks/${created.json.id}`, {
      token,
      body: { events: ['*'], active: false },
    })
    assert.equal(updated.status, 200)
    assert.deepEqual(updated.json.events, ['*'])
    assert.isFalse(updated.json.active)
    assert.equal(updated.json.description, 'CRM')

    const rotated = await api('POST', `/api/v1/webhooks/${created.json.id}/rotate-secret`, {
      token,
    })
    assert.equal(rotated.status, 200)
    assert.match(rotated.json.secret, /^whsec_/)
    assert.notEqual(rotated.json.secret, secret)

    const log = await api('GET', `/api/v1/webhooks/${created.json.id}/deliveries`, { token })
    assert.deepEqual(log.json, { data: [], next_cursor: null })

    assert.equal(
      (await api('DELETE', `/api/v1/webhooks/${created.json.id}`, { token })).status,
      204
    )
    assert.equal((await api('GET', `/api/v1/webhooks/${created.json.id}`, { token })).status, 404)
  })

  test('bad input is refused with a code; scopes are enforced', async ({ assert, cleanup }) => {
    const { tenant, cleanup: drop } = await makeTenant('hk')
    cleanup(drop)
    const { token } = await makeKey(tenant, ['webhooks:write'])
    const { token: reader } = await makeKey(tenant, ['webhooks:read'])
    const { token: outsider } = await makeKey(tenant, ['contacts:write'])

    const noEvents = await api('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://example.com/h', events: [] },
    })
    assert.equal(noEvents.status, 422)
    assert.equal(noEvents.json.error.code, 'validation_failed')
    assert.property(noEvents.json.error.fields, 'events')

    const badEvent = await api('POST', '/api/v1/hooks', {
      token,
      body: { target_url: 'https://example.com/h', event: 'contact.deleted' },
    })
    assert.equal(badEvent.status, 422)
    assert.property(badEvent.json.error.fields, 'event')

    const unknown = await api('POST', '/api/v1/hooks', {
      token,
      body: { target_url: 'https://example.com/h', event: 'contact.created', secret: 'x' },
    })
    assert.equal(unknown.status, 422)
    assert.equal(unknown.json.error.code, 'unknown_field')

    const ftp = await api('POST', '/api/v1/hooks', {
      token,
      body: { target_url: 'ftp://example.com/h', event: 'contact.created' },
    })
    assert.equal(ftp.status, 422)
    assert.property(ftp.json.error.fields, 'target_url')

    const previous = app.config.get<typeof webhooksConfig>('webhooks')
    app.config.set('webhooks', { ...previous, allowPrivateTargets: false })
    try {
      const loopback = await api('POST', '/api/v1/hooks', {
        token,
        body: { target_url: 'http://127.0.0.1:8080/h', event: 'contact.created' },
      })
      assert.equal(loopback.status, 422)
      assert.equal(loopback.json.error.code, 'private_target')
      assert.property(loopback.json.error.fields, 'target_url')
      const metadata = await api('POST', '/api/v1/webhooks', {
        token,
        body: { url: 'http://169.254.169.254/latest/meta-data', events: ['*'] },
      })
      assert.equal(metadata.json.error.code, 'private_target')
    } finally {
      app.config.set('webhooks', previous)
    }

    const unknownSample = await api('GET', '/api/v1/hooks/samples/contact.deleted', { token })
    assert.equal(unknownSample.status, 404)
    assert.equal(unknownSample.json.error.code, 'unknown_event')

    const readOnly = await api('POST', '/api/v1/hooks', {
      token: reader,
      body: { target_url: 'https://example.com/h', event: 'contact.created' },
    })
    assert.equal(readOnly.status, 403)
    assert.equal((await api('GET', '/api/v1/webhooks', { token: reader })).status, 200)
    assert.equal((await api('GET', '/api/v1/webhooks', { token: outsider })).status, 403)
    assert.equal(
      (await api('GET', '/api/v1/hooks/samples/contact.created', { token: outsider })).status,
      403
    )
  })

  test("another tenant's key cannot see, change or delete a webhook (404)", async ({
    assert,
    cleanup,
  }) => {
    const home = await makeTenant('hk')
    cleanup(home.cleanup)
    const away = await makeTenant('hk')
    cleanup(away.cleanup)
    const { token } = await makeKey(home.tenant)
    const { token: stranger } = await makeKey(away.tenant)

    const created = await api('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://example.com/h', events: ['*'] },
    })
    const id = created.json.id
    assert.equal((await api('GET', `/api/v1/webhooks/${id}`, { token: stranger })).status, 404)
    assert.equal(
      (await api('PATCH', `/api/v1/webhooks/${id}`, { token: stranger, body: { active: false } }))
        .status,
      404
    )
    assert.equal(
      (await api('POST', `/api/v1/webhooks/${id}/rotate-secret`, { token: stranger })).status,
      404
    )
    assert.equal(
      (await api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: stranger })).status,
      404
    )
    assert.equal((await api('DELETE', `/api/v1/webhooks/${id}`, { token: stranger })).status, 404)
    assert.equal((await api('DELETE', `/api/v1/hooks/${id}`, { token: stranger })).status, 404)
    assert.deepEqual((await api('GET', '/api/v1/webhooks', { token: stranger })).json.data, [])

    const still = await api('GET', `/api/v1/webhooks/${id}`, { token })
    assert.equal(still.status, 200)
    assert.isTrue(still.json.active)

    // Once its owner deleted it, a repeat is 200 for the owner only.
    assert.equal((await api('DELETE', `/api/v1/hooks/${id}`, { token })).status, 200)
    assert.equal((await api('DELETE', `/api/v1/hooks/${id}`, { token })).status, 200)
    const foreign = await api('DELETE', `/api/v1/hooks/${id}`, { token: stranger })
    assert.equal(foreign.status, 404)
    assert.equal(foreign.json.error.code, 'not_found')
  })

  test("a REST hook's idempotent answer is stored encrypted, without its secret in the clear, and replays byte for byte", async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: drop } = await makeTenant('hk')
    cleanup(drop)
    const { token } = await makeKey(tenant)
    const request = {
      token,
      body: { target_url: 'http://127.0.0.1:9/zap', event: 'contact.created' },
      headers: { 'Idempotency-Key': 'zap-subscribe-1' },
    }
    const first = await api('POST', '/api/v1/hooks', request)
    assert.equal(first.status, 201)
    const secret = first.json.secret as string
    assert.match(secret, /^whsec_/)

    const stored = () =>
      db
        .from('api_idempotency')
        .where('tenant_id', tenant.id)
        .where('idempotency_key', 'zap-subscribe-1')
    const [row] = await stored().select(db.raw('api_idempotency::text as whole'), 'response_body')
    assert.notInclude(row.whole, secret, 'the secret is nowhere in the stored row')
    assert.notInclude(row.whole, secret.slice('whsec_'.length))
    assert.notInclude(row.whole, 'http://127.0.0.1:9/zap', 'nothing of the body is readable')
    assert.match(row.response_body, /^enc:v1:/)

    const replay = await api('POST', '/api/v1/hooks', request)
    assert.equal(replay.status, 201)
    assert.equal(replay.headers.get('idempotent-replayed'), 'true')
    assert.equal(replay.text, first.text, 'the replay is the first answer byte for byte')
    assert.equal(replay.headers.get('location'), first.headers.get('location'))

    // Sealed for another key (or under another APP_KEY), it does not open: 409, not a guess.
    await stored().update({
      response_body: `enc:v1:${encryption.encrypt(first.text, undefined, `api-idempotency:${tenant.id}:other-key`)}`,
    })
    const unreadable = await api('POST', '/api/v1/hooks', request)
    assert.equal(unreadable.status, 409)
    assert.equal(unreadable.json.error.code, 'idempotency_key_reused')
    assert.notInclude(unreadable.text, secret)
  })
})
