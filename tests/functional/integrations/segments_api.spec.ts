import { test } from '@japa/runner'
import { Contact } from '#modules/inbox/index'
import type { TenantContext } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { defineContactFields } from '#tests/helpers/contact_fields'
import { api, makeKey } from './api_client.js'

type Cleanup = (fn: () => void | Promise<void>) => void

async function tenantWithKey(cleanup: Cleanup, prefix = 'apiseg') {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant)
  return { ...made, token }
}

function seedContacts(context: TenantContext, count: number, attributes: (i: number) => object) {
  return context.transaction(async (trx) => {
    for (let i = 0; i < count; i++) {
      await Contact.create(
        {
          phone: `+97150${String(1_000_000 + i)}`,
          name: `Client ${i}`,
          tags: i % 2 ? ['client'] : ['lead'],
          attributes: attributes(i) as Record<string, unknown>,
        },
        { client: trx }
      )
    }
  })
}

test.group('API segments', () => {
  test('POST /segments saves a filter and counts it; GET /segments/:id/contacts pages through the matches', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup)
    await defineContactFields(context, [{ key: 'premium', type: 'number' }])
    await seedContacts(context, 30, (i) => ({ premium: i * 100 }))
    const created = await api('POST', '/api/v1/segments', {
      token,
      body: {
        name: 'Big clients',
        filter: {
          match: 'all',
          conditions: [
            { field: 'tag', op: 'has', value: 'client' },
            { field: 'attr.premium', op: 'gt', value: 500 },
          ],
        },
      },
    })
    assert.equal(created.status, 201, created.text)
    // Odd i with premium > 500: 7, 9, ..., 29.
    assert.equal(created.json.contact_count, 12)
    assert.equal(created.headers.get('location'), `/api/v1/segments/${created.json.id}`)
    assert.equal(created.json.filter.match, 'all')

    const shown = await api('GET', `/api/v1/segments/${created.json.id}`, { token })
    assert.equal(shown.status, 200)
    assert.equal(shown.json.contact_count, 12)

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor ? `?limit=5&cursor=${cursor}` : '?limit=5'
      const page = await api('GET', `/api/v1/segments/${created.json.id}/contacts${query}`, {
        token,
      })
      assert.equal(page.status, 200, page.text)
      for (const contact of page.json.data) {
        assert.include(contact.tags, 'client')
        assert.isAbove(contact.attributes.premium, 500)
        assert.property(contact, 'consent')
        seen.push(contact.id)
      }
      cursor = page.json.next_cursor
    } while (cursor)
    assert.lengthOf(seen, 12)
    assert.equal(new Set(seen).size, 12)
  })

  test('conditions the workspace cannot read are 422 naming the condition', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const refused = await api('POST', '/api/v1/segments', {
      token,
      body: {
        name: 'Bad',
        filter: {
          conditions: [
            { field: 'attr.nothing', op: 'eq', value: 'x' },
            { field: 'tag', op: 'lt', value: 'x' },
            { field: 'last_inbound', op: 'last_days', value: 'soon' },
          ],
        },
      },
    })
    assert.equal(refused.status, 422)
    assert.deepEqual(Object.keys(refused.json.error.fields).sort(), [
      'filter.conditions.0',
      'filter.conditions.1',
      'filter.conditions.2',
    ])
    const malformed = await api('POST', '/api/v1/segments', {
      token,
      body: { name: '', filter: { conditions: [{ field: 'tag', op: 'near' }] } },
    })
    assert.equal(malformed.status, 422)
    assert.includeMembers(Object.keys(malformed.json.error.fields), [
      'name',
      'filter.conditions.0.op',
    ])
  })

  test('the campaigns scopes guard segments: read for GETs, write for POST', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('apisegsc')
    cleanup(made.cleanup)
    const reader = await makeKey(made.tenant, ['campaigns:read'])
    const contactsOnly = await makeKey(made.tenant, ['contacts:write'])
    const writer = await makeKey(made.tenant, ['campaigns:write'])
    const body = { name: 'All', filter: { conditions: [] } }
    assert.equal((await api('POST', '/api/v1/segments', { token: reader.token, body })).status, 403)
    assert.equal(
      (await api('POST', '/api/v1/segments', { token: contactsOnly.token, body })).status,
      403
    )
    const created = await api('POST', '/api/v1/segments', { token: writer.token, body })
    assert.equal(created.status, 201)
    const read = await api('GET', `/api/v1/segments/${created.json.id}/contacts`, {
      token: reader.token,
    })
    assert.equal(read.status, 200)
    assert.equal(
      (await api('GET', `/api/v1/segments/${created.json.id}`, { token: contactsOnly.token }))
        .status,
      403
    )
  })
})

test.group('API segments: tenant isolation', () => {
  test("another workspace's segment is 404, and a segment never lists another workspace's contacts", async ({
    assert,
    cleanup,
  }) => {
    const a = await tenantWithKey(cleanup, 'iso-apisega')
    const b = await tenantWithKey(cleanup, 'iso-apisegb')
    await seedContacts(b.context, 3, () => ({}))
    const theirs = await api('POST', '/api/v1/segments', {
      token: b.token,
      body: { name: 'B all', filter: { conditions: [] } },
    })
    assert.equal(theirs.json.contact_count, 3)
    assert.equal(
      (await api('GET', `/api/v1/segments/${theirs.json.id}`, { token: a.token })).status,
      404
    )
    assert.equal(
      (await api('GET', `/api/v1/segments/${theirs.json.id}/contacts`, { token: a.token })).status,
      404
    )
    const mine = await api('POST', '/api/v1/segments', {
      token: a.token,
      body: { name: 'A all', filter: { conditions: [] } },
    })
    assert.equal(mine.json.contact_count, 0)
    const listed = await api('GET', `/api/v1/segments/${mine.json.id}/contacts`, { token: a.token })
    assert.deepEqual(listed.json.data, [])
  })
})
