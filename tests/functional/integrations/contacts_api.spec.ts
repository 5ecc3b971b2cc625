import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import { addSandboxChannel } from '#modules/channels/index'
import { Contact } from '#modules/inbox/index'
import { systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { api, freshPhone, makeKey } from './api_client.js'
import { defineContactFields } from '#tests/helpers/contact_fields'

type Cleanup = (fn: () => void | Promise<void>) => void

async function tenantWithKey(cleanup: Cleanup, prefix = 'apic') {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant)
  return { ...made, token }
}

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

test.group('API contacts', () => {
  test('POST creates a contact and GET reads it back in snake_case with UTC times', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    await defineContactFields(context, [{ key: 'policyNumber' }])
    const created = await api('POST', '/api/v1/contacts', {
      token,
      body: {
        phone: '+1 (555) 010-2030',
        name: 'Amira Haddad',
        email: 'Amira@Example.test',
        tags: ['lead', 'vip'],
        attributes: { policyNumber: 'P-1' },
        opt_in: 'opted_in',
      },
    })
    assert.equal(created.status, 201)
    const contact = created.json
    assert.equal(created.headers.get('location'), `/api/v1/contacts/${contact.id}`)
    assert.isNull(created.headers.get('idempotent-replayed'))
    assert.include(contact, {
      phone: '+15550102030',
      wa_id: '15550102030',
      name: 'Amira Haddad',
      email: 'amira@example.test',
      opt_in: 'opted_in',
      source: 'api',
    })
    assert.deepEqual(contact.tags, ['lead', 'vip'])
    // User data keeps its own keys.
    assert.deepEqual(contact.attributes, { policyNumber: 'P-1' })
    assert.match(contact.created_at, ISO_UTC)
    assert.match(contact.updated_at, ISO_UTC)
    assert.notProperty(contact, 'createdAt')

    const read = await api('GET', `/api/v1/contacts/${contact.id}`, { token })
    assert.equal(read.status, 200)
    assert.deepEqual(read.json, contact)

    const again = await api('POST', '/api/v1/contacts', { token, body: { phone: '+15550102030' } })
    assert.equal(again.status, 409)
    assert.equal(again.json.error.code, 'phone_taken')
    assert.property(again.json.error.fields, 'phone')

    assert.equal((await api('GET', `/api/v1/contacts/${randomUUID()}`, { token })).status, 404)
    const junk = await api('GET', '/api/v1/contacts/not-a-uuid', { token })
    assert.equal(junk.status, 404)
    assert.equal(junk.json.error.code, 'not_found')
  })

  test("another tenant's key gets 404 for this tenant's contact and never sees it in lists", async ({
    assert,
    cleanup,
  }) => {
    const home = await tenantWithKey(cleanup, 'apih')
    const other = await tenantWithKey(cleanup, 'apio')
    const created = await api('POST', '/api/v1/contacts', {
      token: home.token,
      body: { phone: freshPhone(), name: 'Home only' },
    })
    assert.equal(created.status, 201)
    const id = created.json.id

    const peek = await api('GET', `/api/v1/contacts/${id}`, { token: other.token })
    assert.equal(peek.status, 404)
    assert.equal(peek.json.error.code, 'not_found')

    const list = await api('GET', '/api/v1/contacts?limit=100', { token: other.token })
    assert.equal(list.status, 200)
    assert.deepEqual(list.json, { data: [], next_cursor: null })
    const filtered = await api(
      'GET',
      `/api/v1/contacts?phone=${encodeURIComponent(created.json.phone)}`,
      { token: other.token }
    )
    assert.deepEqual(filtered.json.data, [])

    // Its own tenant finds it by phone.
    const mine = await api(
      'GET',
      `/api/v1/contacts?phone=${encodeURIComponent(created.json.phone)}`,
      { token: home.token }
    )
    assert.deepEqual(
      mine.json.data.map((c: { id: string }) => c.id),
      [id]
    )
    // The same number written with spaces finds it too.
    const phone: string = created.json.phone
    const spaced = `${phone.slice(0, 4)} ${phone.slice(4, 8)} ${phone.slice(8)}`
    const typed = await api('GET', `/api/v1/contacts?phone=${encodeURIComponent(spaced)}`, {
      token: home.token,
    })
    assert.deepEqual(
      typed.json.data.map((c: { id: string }) => c.id),
      [id]
    )

    // Filters the API cannot read are a 422 naming each; an empty one is not given.
    const bad = await api('GET', '/api/v1/contacts?phone=call-me&updated_since=yesterday&tag=', {
      token: home.token,
    })
    assert.equal(bad.status, 422)
    assert.equal(bad.json.error.code, 'validation_failed')
    assert.sameMembers(Object.keys(bad.json.error.fields), ['phone', 'updated_since'])
  })

  test('pagination walks every contact once, newest first, with no duplicates or gaps', async ({
    assert,
    cleanup,
  }) => {
    const { context, token } = await tenantWithKey(cleanup)
    // 53 contacts, several sharing one created_at to the microsecond: the id breaks ties.
    const sameInstant = new Date()
    const ids = await context.transaction(async (trx) => {
      const rows = Array.from({ length: 53 }, (_, i) => ({
        id: randomUUID(),
        phone: `+1444555${String(i).padStart(4, '0')}`,
        created_at: i % 5 === 0 ? sameInstant : new Date(Date.now() - i * 1000),
      }))
      await trx.table('contacts').multiInsert(rows)
      return rows.map((row) => row.id)
    })

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor ? `&cursor=${cursor}` : ''
      const page = await api('GET', `/api/v1/contacts?limit=7${query}`, { token })
      assert.equal(page.status, 200)
      assert.isAtMost(page.json.data.length, 7)
      seen.push(...page.json.data.map((c: { id: string }) => c.id))
      cursor = page.json.next_cursor
      pages++
    } while (cursor && pages < 20)

    assert.equal(pages, 8)
    assert.equal(seen.length, 53)
    assert.equal(new Set(seen).size, 53)
    assert.sameMembers(seen, ids)
    // Newest first.
    const order = await context.transaction((trx) =>
      Contact.query({ client: trx }).orderBy('created_at', 'desc').orderBy('id', 'desc')
    )
    assert.deepEqual(
      seen,
      order.map((c) => c.id)
    )

    const defaults = await api('GET', '/api/v1/contacts', { token })
    assert.equal(defaults.json.data.length, 25)
    assert.isString(defaults.json.next_cursor)
  })

  test('GET /api/v1/channels lists the tenant’s channels without secrets', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, token } = await tenantWithKey(cleanup)
    const other = await tenantWithKey(cleanup, 'apio')
    const sandbox = await addSandboxChannel(tenant, systemActor)
    const list = await api('GET', '/api/v1/channels', { token })
    assert.equal(list.status, 200)
    assert.equal(list.json.next_cursor, null)
    assert.lengthOf(list.json.data, 1)
    assert.deepEqual(Object.keys(list.json.data[0]).sort(), [
      'created_at',
      'display_number',
      'id',
      'name',
      'phone_number_id',
      'status',
      'type',
      'updated_at',
      'waba_id',
    ])
    assert.include(list.json.data[0], { id: sandbox.id, type: 'sandbox', status: 'active' })
    assert.deepEqual((await api('GET', '/api/v1/channels', { token: other.token })).json.data, [])
    const [{ total }] = await db.from('channels').where('tenant_id', tenant.id).count('* as total')
    assert.equal(Number(total), 1)
  })
})

test.group('API idempotency', () => {
  test('a repeated POST with the same Idempotency-Key replays the first response byte for byte', async ({
    assert,
    cleanup,
  }) => {
    const { context, token } = await tenantWithKey(cleanup)
    const key = randomUUID()
    const body = { phone: freshPhone(), name: 'Once' }
    const first = await api('POST', '/api/v1/contacts', {
      token,
      body,
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(first.status, 201)
    assert.isNull(first.headers.get('idempotent-replayed'))

    const second = await api('POST', '/api/v1/contacts', {
      token,
      body,
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(second.status, 201)
    assert.equal(second.headers.get('idempotent-replayed'), 'true')
    assert.equal(second.text, first.text)
    assert.equal(second.headers.get('location'), first.headers.get('location'))

    const count = await context.transaction((trx) =>
      trx.from('contacts').where('phone', body.phone).count('* as total')
    )
    assert.equal(Number(count[0].total), 1)

    const reused = await api('POST', '/api/v1/contacts', {
      token,
      body: { ...body, name: 'Different' },
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(reused.status, 409)
    assert.equal(reused.json.error.code, 'idempotency_key_reused')

    // Another tenant's identical key is its own.
    const other = await tenantWithKey(cleanup, 'apio')
    const elsewhere = await api('POST', '/api/v1/contacts', {
      token: other.token,
      body,
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(elsewhere.status, 201)
    assert.isNull(elsewhere.headers.get('idempotent-replayed'))
  })

  test('a failed request releases its key: fixing the body and retrying works', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const key = randomUUID()
    const bad = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone: 'nope' },
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(bad.status, 422)
    const retry = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone: 'nope' },
      headers: { 'Idempotency-Key': key },
    })
    assert.equal(retry.status, 422)
    assert.isNull(retry.headers.get('idempotent-replayed'))
    const tooLong = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone: freshPhone() },
      headers: { 'Idempotency-Key': 'x'.repeat(256) },
    })
    assert.equal(tooLong.status, 400)
    assert.equal(tooLong.json.error.code, 'invalid_idempotency_key')
  })

  test('10 concurrent identical POSTs with one Idempotency-Key create one contact', async ({
    assert,
    cleanup,
  }) => {
    const { context, token } = await tenantWithKey(cleanup)
    const key = randomUUID()
    const body = { phone: freshPhone(), name: 'Concurrent' }
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        api('POST', '/api/v1/contacts', { token, body, headers: { 'Idempotency-Key': key } })
      )
    )
    assert.deepEqual(
      responses.map((r) => r.status),
      Array(10).fill(201)
    )
    assert.equal(new Set(responses.map((r) => r.text)).size, 1)
    assert.equal(responses.filter((r) => !r.headers.get('idempotent-replayed')).length, 1)
    const rows = await context.transaction((trx) =>
      trx.from('contacts').where('phone', body.phone).select('id')
    )
    assert.lengthOf(rows, 1)
    assert.equal(rows[0].id, responses[0].json.id)
  })
})

test.group('API contacts: upsert, update, delete', () => {
  test('PUT /contacts/by-phone creates (201) then updates (200) only the fields given', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, token, context } = await tenantWithKey(cleanup)
    await defineContactFields(context, [{ key: 'plan' }])
    const events: string[] = []
    const stop = [
      emitter.on('contact:created', (e) => {
        if (e.tenantId === tenant.id) events.push(`created:${e.source}`)
      }),
      emitter.on('contact:updated', (e) => {
        if (e.tenantId === tenant.id) events.push(`updated:${e.changes.join('+')}`)
      }),
    ]
    cleanup(() => stop.forEach((unsubscribe) => unsubscribe()))
    const phone = freshPhone()
    const path = `/api/v1/contacts/by-phone/${encodeURIComponent(phone)}`

    const created = await api('PUT', path, {
      token,
      body: { name: 'Omar', tags: ['lead'], attributes: { plan: 'gold' } },
    })
    assert.equal(created.status, 201, created.text)
    assert.include(created.json, { phone, name: 'Omar', source: 'api', opt_in: 'unknown' })
    assert.equal(created.headers.get('location'), `/api/v1/contacts/${created.json.id}`)

    // Digits with spaces reach the same contact; fields left out stay.
    const updated = await api(
      'PUT',
      `/api/v1/contacts/by-phone/${encodeURIComponent(`${phone.slice(0, 5)} ${phone.slice(5)}`)}`,
      {
        token,
        body: { email: 'omar@example.test', opt_in: 'opted_out' },
      }
    )
    assert.equal(updated.status, 200, updated.text)
    assert.equal(updated.json.id, created.json.id)
    assert.include(updated.json, { name: 'Omar', email: 'omar@example.test', opt_in: 'opted_out' })
    assert.deepEqual(updated.json.tags, ['lead'])
    assert.deepEqual(updated.json.attributes, { plan: 'gold' })
    assert.isString(updated.json.opted_out_at)

    // The same values again change nothing and announce nothing.
    const same = await api('PUT', path, { token, body: { name: 'Omar' } })
    assert.equal(same.status, 200)
    assert.equal(events[0], 'created:api')
    assert.lengthOf(events, 2)
    assert.includeMembers(events[1].slice('updated:'.length).split('+'), ['email', 'opt_in'])

    const badPhone = await api('PUT', '/api/v1/contacts/by-phone/12', { token, body: {} })
    assert.equal(badPhone.status, 422)
    assert.property(badPhone.json.error.fields, 'phone')
    const typo = await api('PUT', path, { token, body: { nmae: 'x' } })
    assert.equal(typo.json.error.code, 'unknown_field')
  })

  test('PATCH changes the given fields; null clears; unknown fields and bad values are 422', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const created = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone: freshPhone(), name: 'Lina', notes: 'Prefers mornings', tags: ['a'] },
    })
    const path = `/api/v1/contacts/${created.json.id}`
    const patched = await api('PATCH', path, { token, body: { notes: null, tags: ['b', 'c'] } })
    assert.equal(patched.status, 200, patched.text)
    assert.include(patched.json, { name: 'Lina', notes: null, phone: created.json.phone })
    assert.deepEqual(patched.json.tags, ['b', 'c'])

    const phoneChange = await api('PATCH', path, { token, body: { phone: freshPhone() } })
    assert.equal(phoneChange.status, 422)
    assert.equal(phoneChange.json.error.code, 'unknown_field')
    const badEmail = await api('PATCH', path, { token, body: { email: 'not an email' } })
    assert.equal(badEmail.status, 422)
    assert.property(badEmail.json.error.fields, 'email')
    const missing = await api('PATCH', `/api/v1/contacts/${randomUUID()}`, {
      token,
      body: { name: 'x' },
    })
    assert.equal(missing.status, 404)
  })

  test('DELETE erases the contact with its conversations, messages and memory, audited', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, token } = await tenantWithKey(cleanup)
    const channel = await addSandboxChannel(tenant, systemActor)
    const created = await api('POST', '/api/v1/contacts', { token, body: { phone: freshPhone() } })
    const contactId = created.json.id
    await context.transaction(async (trx) => {
      const [conversation] = await trx
        .table('conversations')
        .insert({ contact_id: contactId, channel_id: channel.id })
        .returning('id')
      await trx.table('messages').insert({
        conversation_id: conversation.id,
        contact_id: contactId,
        channel_id: channel.id,
        direction: 'inbound',
        type: 'text',
        body: 'My policy number is P-77',
        status: 'received',
        author_type: 'contact',
      })
      await trx.table('contact_memories').insert({ contact_id: contactId, summary: 'P-77' })
    })

    const deleted = await api('DELETE', `/api/v1/contacts/${contactId}`, { token })
    assert.equal(deleted.status, 204)
    assert.equal(deleted.text, '')
    const left = await context.transaction(async (trx) => ({
      contacts: await trx.from('contacts').where('id', contactId).count('* as n').first(),
      conversations: await trx.from('conversations').count('* as n').first(),
      messages: await trx.from('messages').count('* as n').first(),
      memories: await trx.from('contact_memories').count('* as n').first(),
    }))
    assert.deepEqual(
      Object.values(left).map((row) => Number(row.n)),
      [0, 0, 0, 0]
    )
    const audit = await db
      .from('audit_logs')
      .where('tenant_id', tenant.id)
      .where('action', 'contact.deleted')
      .where('subject_id', contactId)
      .first()
    assert.isNotNull(audit)
    assert.match(audit.actor_label, /^api_key:/)
    assert.equal(audit.metadata.conversationsErased, 1)

    assert.equal((await api('DELETE', `/api/v1/contacts/${contactId}`, { token })).status, 404)
    assert.equal((await api('GET', `/api/v1/contacts/${contactId}`, { token })).status, 404)
  })
})
