import { test } from '@japa/runner'
import { makeTenant } from '#tests/helpers/tenants'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { defineContactFields } from '#tests/helpers/contact_fields'
import { WebSession } from '#tests/helpers/web_session'
import { csvOf, importCsv } from '#tests/helpers/contact_imports'
import { createSegment } from '#modules/pulse/index'
import { api, makeKey } from '../integrations/api_client.js'

type Cleanup = (fn: () => void | Promise<void>) => void

async function tenantWithKey(cleanup: Cleanup, scopes?: Parameters<typeof makeKey>[1]) {
  const made = await makeTenant('cimpapi')
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant, scopes)
  return { ...made, token }
}

async function postImport(
  token: string,
  text: string,
  fields: Record<string, string> = {},
  name = 'contacts.csv'
) {
  const form = new FormData()
  form.append('file', new Blob([text], { type: 'text/csv' }), name)
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  const response = await fetch(`${WebSession.baseUrl()}/api/v1/contacts/import`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${token}` },
  })
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as any,
  }
}

async function finished(token: string, id: string) {
  const end = Date.now() + 20_000
  for (;;) {
    const status = await api('GET', `/api/v1/contacts/imports/${id}`, { token })
    if (['done', 'failed'].includes(status.json?.status) || Date.now() > end) return status
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

test.group('API contact import and export', (group) => {
  withDefaultQueueWorker(group)

  test('POST /contacts/import answers 202 with an id; the status shows counts and refused rows', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await tenantWithKey(cleanup, ['contacts:write'])
    await defineContactFields(context, [{ key: 'budget', type: 'number' }])
    const started = await postImport(
      token,
      csvOf([
        ['Mobile', 'Who', 'Budget', 'Notes'],
        ['0501234567', 'Hind', '1500', 'x'],
        ['0507654321', 'Ali', 'lots', 'y'],
        ['0501234567', '', '2000', ''],
      ]),
      {
        mapping: JSON.stringify({ Mobile: 'phone', Who: 'name', Budget: 'attr.budget' }),
        default_country: 'ae',
        label: 'api-import',
      }
    )
    assert.equal(started.status, 202)
    assert.match(started.json.id, /^[0-9a-f-]{36}$/)
    assert.equal(started.headers.get('location'), `/api/v1/contacts/imports/${started.json.id}`)
    assert.deepEqual(started.json.mapping, {
      Mobile: 'phone',
      Who: 'name',
      Budget: 'attr.budget',
      Notes: 'ignore',
    })
    const status = await finished(token, started.json.id)
    assert.equal(status.status, 200)
    assert.include(status.json, { status: 'done', default_country: 'AE', label: 'api-import' })
    assert.deepEqual(status.json.counts, {
      total: 3,
      processed: 3,
      created: 1,
      updated: 0,
      repeated: 1,
      errors: 1,
    })
    assert.deepEqual(status.json.errors, [
      { row: 3, column: 'Budget', code: 'number', value: 'lots' },
    ])
    const contacts = await api('GET', '/api/v1/contacts?tag=api-import', { token })
    assert.lengthOf(contacts.json.data, 1)
    assert.include(contacts.json.data[0], { phone: '+971501234567', name: 'Hind' })
    assert.deepEqual(contacts.json.data[0].attributes, { budget: 2000 })
  })

  test('bad files and mappings answer 4xx with codes; scopes are enforced', async ({
    assert,
    cleanup,
  }) => {
    const { token, tenant } = await tenantWithKey(cleanup, ['contacts:write'])
    const binary = await postImport(token, '\u0000\u0001PK', {}, 'contacts.csv')
    assert.equal(binary.status, 422)
    assert.equal(binary.json.error.code, 'invalid_file')
    const xlsx = await postImport(token, 'phone\n+15550001234', {}, 'contacts.xlsx')
    assert.equal(xlsx.json.error.code, 'invalid_file')
    const noPhone = await postImport(token, 'name,city\nA,B\n')
    assert.equal(noPhone.status, 422)
    assert.equal(noPhone.json.error.code, 'invalid_mapping')
    assert.include(noPhone.json.error.message, 'phone')
    const unknownField = await postImport(token, 'tel,x\n+15550001234,1\n', {
      mapping: JSON.stringify({ tel: 'phone', x: 'attr.nope' }),
    })
    assert.equal(unknownField.json.error.code, 'invalid_mapping')
    const unknownColumn = await postImport(token, 'tel\n+15550001234\n', {
      mapping: JSON.stringify({ phone: 'phone' }),
    })
    assert.equal(unknownColumn.json.error.code, 'invalid_mapping')
    const notJson = await postImport(token, 'tel\n+15550001234\n', { mapping: '{oops' })
    assert.equal(notJson.json.error.code, 'invalid_mapping')
    const country = await postImport(token, 'tel\n+15550001234\n', { default_country: 'XX' })
    assert.equal(country.json.error.code, 'invalid_country')
    const noFile = await api('POST', '/api/v1/contacts/import', { token, body: {} })
    assert.equal(noFile.status, 422)

    const reader = await makeKey(tenant, ['contacts:read'])
    const refused = await postImport(reader.token, 'tel\n+15550001234\n')
    assert.equal(refused.status, 403)
    const other = await makeKey(tenant, ['conversations:read'])
    assert.equal((await api('GET', '/api/v1/contacts/export', { token: other.token })).status, 403)
  })

  test('another tenant cannot read an import or export the contacts', async ({
    assert,
    cleanup,
  }) => {
    const mine = await tenantWithKey(cleanup)
    const theirs = await tenantWithKey(cleanup)
    const done = await importCsv(
      mine.context,
      csvOf([
        ['phone', 'name'],
        ['+15550008888', 'Mine'],
      ])
    )
    const own = await api('GET', `/api/v1/contacts/imports/${done.id}`, { token: mine.token })
    assert.equal(own.status, 200)
    const peek = await api('GET', `/api/v1/contacts/imports/${done.id}`, { token: theirs.token })
    assert.equal(peek.status, 404)
    assert.equal(peek.json.error.code, 'not_found')
    const exported = await api('GET', '/api/v1/contacts/export', { token: theirs.token })
    assert.equal(exported.status, 200)
    assert.notInclude(exported.text, '+15550008888')
    const mineExported = await api('GET', '/api/v1/contacts/export?q=Mine', { token: mine.token })
    assert.equal(mineExported.headers.get('content-type'), 'text/csv; charset=utf-8')
    assert.include(mineExported.text, '+15550008888,Mine,')
  })

  test("export takes a segment: only its contacts; another tenant's segment is not found", async ({
    assert,
    cleanup,
  }) => {
    const mine = await tenantWithKey(cleanup, ['contacts:read'])
    const theirs = await tenantWithKey(cleanup)
    await importCsv(
      mine.context,
      csvOf([
        ['phone', 'name', 'consent'],
        ['+15550009001', 'Yes person', 'yes'],
        ['+15550009002', 'No person', 'no'],
      ])
    )
    const segment = await createSegment(mine.context, {
      name: 'Opted in',
      filter: {
        match: 'all',
        conditions: [{ field: 'marketing_consent', op: 'eq', value: 'opted_in' }],
      },
    })
    const exported = await api('GET', `/api/v1/contacts/export?segment_id=${segment.id}`, {
      token: mine.token,
    })
    assert.equal(exported.status, 200)
    assert.include(exported.text, 'Yes person')
    assert.notInclude(exported.text, 'No person')
    const foreign = await api('GET', `/api/v1/contacts/export?segment_id=${segment.id}`, {
      token: theirs.token,
    })
    assert.equal(foreign.status, 404)
    assert.equal(foreign.json.error.code, 'not_found')
  })
})
