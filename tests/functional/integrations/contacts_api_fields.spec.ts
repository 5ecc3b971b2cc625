import { test } from '@japa/runner'
import { makeTenant } from '#tests/helpers/tenants'
import { defineContactFields } from '#tests/helpers/contact_fields'
import { api, freshPhone, makeKey } from './api_client.js'

type Cleanup = (fn: () => void | Promise<void>) => void

async function tenantWithKey(cleanup: Cleanup, prefix = 'apicf') {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant)
  return { ...made, token }
}

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

test.group('API contacts: custom fields', () => {
  test('attributes are checked against the definitions: typed, unknown keys refused, required enforced on create', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    await defineContactFields(context, [
      { key: 'policy_end', type: 'date', required: true },
      { key: 'premium', type: 'number' },
      { key: 'vip', type: 'boolean' },
      { key: 'area', type: 'choice', choices: ['JLT', 'Marina'] },
    ])
    const phone = freshPhone()
    const refused = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone, attributes: { premium: 'lots', vip: 'maybe', area: 'Mars', colour: 'red' } },
    })
    assert.equal(refused.status, 422, refused.text)
    assert.equal(refused.json.error.code, 'validation_failed')
    assert.deepEqual(refused.json.error.fields, {
      'attributes.colour': ['No custom field has this key; define it in the workspace first'],
      'attributes.policy_end': ['This field is required'],
      'attributes.premium': ['Give a number'],
      'attributes.vip': ['Give true or false'],
      'attributes.area': ['Give one of: JLT, Marina'],
    })

    const created = await api('POST', '/api/v1/contacts', {
      token,
      body: {
        phone,
        attributes: { policy_end: '2027-03-31', premium: 1200.5, vip: true, area: 'JLT' },
      },
    })
    assert.equal(created.status, 201, created.text)
    assert.deepEqual(created.json.attributes, {
      policy_end: '2027-03-31',
      premium: 1200.5,
      vip: true,
      area: 'JLT',
    })

    // PATCH without attributes leaves them; with them, each is checked.
    const id = created.json.id
    const named = await api('PATCH', `/api/v1/contacts/${id}`, { token, body: { name: 'Amira' } })
    assert.equal(named.status, 200)
    assert.equal(named.json.attributes.premium, 1200.5)
    const bad = await api('PATCH', `/api/v1/contacts/${id}`, {
      token,
      body: { attributes: { policy_end: '31/03/2027' } },
    })
    assert.equal(bad.status, 422)
    assert.deepEqual(Object.keys(bad.json.error.fields), ['attributes.policy_end'])
    const changed = await api('PATCH', `/api/v1/contacts/${id}`, {
      token,
      body: { attributes: { policy_end: '2028-01-01', premium: '99' } },
    })
    assert.equal(changed.status, 200, changed.text)
    assert.deepEqual(changed.json.attributes, { policy_end: '2028-01-01', premium: 99 })
  })

  test('a contact created with only a phone still works when no field is required', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    await defineContactFields(context, [{ key: 'city' }])
    const created = await api('POST', '/api/v1/contacts', { token, body: { phone: freshPhone() } })
    assert.equal(created.status, 201)
    assert.deepEqual(created.json.attributes, {})
  })
})

test.group('API contacts: consent, time zone and language', () => {
  test('consent {marketing, source} is accepted on create, upsert and patch and shown in GETs', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const created = await api('POST', '/api/v1/contacts', {
      token,
      body: { phone: '+971501234567', consent: { marketing: 'opted_in', source: 'form' } },
    })
    assert.equal(created.status, 201, created.text)
    assert.equal(created.json.consent.marketing, 'opted_in')
    assert.equal(created.json.consent.source, 'form')
    assert.match(created.json.consent.updated_at, ISO_UTC)
    assert.equal(created.json.time_zone, 'Asia/Dubai')
    assert.equal(created.json.language, 'ar')
    const id = created.json.id

    const read = await api('GET', `/api/v1/contacts/${id}`, { token })
    assert.deepEqual(read.json.consent, created.json.consent)
    const listed = await api('GET', '/api/v1/contacts', { token })
    assert.deepEqual(listed.json.data[0].consent, created.json.consent)

    const patched = await api('PATCH', `/api/v1/contacts/${id}`, {
      token,
      body: { consent: { marketing: 'opted_out' }, time_zone: 'Europe/London', language: 'en' },
    })
    assert.equal(patched.status, 200)
    assert.include(patched.json.consent, { marketing: 'opted_out', source: 'api' })
    assert.include(patched.json, { time_zone: 'Europe/London', language: 'en', opt_in: 'unknown' })

    const phone = freshPhone()
    const upserted = await api('PUT', `/api/v1/contacts/by-phone/${encodeURIComponent(phone)}`, {
      token,
      body: { consent: { marketing: 'opted_in', source: 'web_chat' } },
    })
    assert.equal(upserted.status, 201, upserted.text)
    assert.include(upserted.json.consent, { marketing: 'opted_in', source: 'web_chat' })
    const plain = await api('POST', '/api/v1/contacts', { token, body: { phone: freshPhone() } })
    assert.deepEqual(plain.json.consent, { marketing: 'unknown', source: null, updated_at: null })
  })

  test('a bad consent state or source, time zone or language is a field error', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const refused = await api('POST', '/api/v1/contacts', {
      token,
      body: {
        phone: freshPhone(),
        consent: { marketing: 'yes', source: 'carrier pigeon' },
        time_zone: 'Mars/Olympus',
        language: 'english!',
      },
    })
    assert.equal(refused.status, 422)
    assert.includeMembers(Object.keys(refused.json.error.fields), [
      'consent.marketing',
      'consent.source',
      'time_zone',
      'language',
    ])
  })
})

test.group('API contacts: custom fields tenant isolation', () => {
  test("another workspace's field is unknown here, and its contacts are not found", async ({
    assert,
    cleanup,
  }) => {
    const a = await tenantWithKey(cleanup, 'iso-apicfa')
    const b = await tenantWithKey(cleanup, 'iso-apicfb')
    await defineContactFields(b.context, [{ key: 'secret_b' }])
    const inA = await api('POST', '/api/v1/contacts', {
      token: a.token,
      body: { phone: freshPhone(), attributes: { secret_b: 'x' } },
    })
    assert.equal(inA.status, 422)
    assert.deepEqual(Object.keys(inA.json.error.fields), ['attributes.secret_b'])
    const inB = await api('POST', '/api/v1/contacts', {
      token: b.token,
      body: {
        phone: freshPhone(),
        attributes: { secret_b: 'x' },
        consent: { marketing: 'opted_in' },
      },
    })
    assert.equal(inB.status, 201)
    const viaA = await api('PATCH', `/api/v1/contacts/${inB.json.id}`, {
      token: a.token,
      body: { consent: { marketing: 'opted_out' } },
    })
    assert.equal(viaA.status, 404)
    const still = await api('GET', `/api/v1/contacts/${inB.json.id}`, { token: b.token })
    assert.equal(still.json.consent.marketing, 'opted_in')
  })
})
