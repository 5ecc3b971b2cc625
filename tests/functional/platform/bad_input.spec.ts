import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { Message } from '#modules/channels/index'
import { Contact } from '#modules/inbox/index'
import { webchatVisitor } from '#tests/helpers/webchat'
import { makeTenant, makeWorkspace } from '#tests/helpers/tenants'
import { WebSession } from '#tests/helpers/web_session'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  startInboundWorkers,
  waitFor,
  waId,
  webhook,
} from '#tests/helpers/whatsapp'
import { signIn } from '#tests/functional/workspace/member_browser'
import { api, freshPhone, makeKey } from '#tests/functional/integrations/api_client'

/*
| Bad input stops at the door with a 4xx, and our own failures say nothing
| of their insides. Bodies nested too deep are 400 before anything copies
| them; text PostgreSQL cannot store (NUL, unpaired UTF-16 surrogates) is 422
| naming the field wherever it comes from, except in WhatsApp webhooks,
| which are stored with U+FFFD in its place; a 500 is "Internal error" and
| the request id.
*/

const nested = (depth: number) => {
  let value: unknown = 'leaf'
  for (let level = 1; level < depth; level++) value = { a: value }
  return value
}

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0
  return 1 + Math.max(0, ...Object.values(value).map(depthOf))
}

async function apiTenant(cleanup: (fn: () => Promise<void>) => void, prefix: string) {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const { token } = await makeKey(made.tenant)
  return { ...made, token }
}

function contactsOf(context: Awaited<ReturnType<typeof makeTenant>>['context']) {
  return context.transaction((trx) => Contact.query({ client: trx }))
}

test.group('Bad input: depth', () => {
  test('a body nested more than 32 levels is 400 invalid_json; 32 levels reach the validator', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await apiTenant(cleanup, 'depth')
    const deep = { phone: freshPhone(), attributes: nested(33) }
    assert.equal(depthOf(deep), 33)
    const refused = await api('POST', '/api/v1/contacts', { token, body: deep })
    assert.equal(refused.status, 400)
    assert.deepEqual(refused.json, {
      error: { code: 'invalid_json', message: 'The body is nested more than 32 levels deep' },
    })

    const allowed = { phone: freshPhone(), attributes: nested(32) }
    assert.equal(depthOf(allowed), 32)
    const validated = await api('POST', '/api/v1/contacts', { token, body: allowed })
    assert.equal(validated.status, 422)
    assert.equal(validated.json.error.code, 'validation_failed')
    assert.deepEqual(Object.keys(validated.json.error.fields), ['attributes.a'])

    // Deeper than the JSON parser's own reviver can go: still one 400, without its message.
    const abyss = '['.repeat(100_000) + ']'.repeat(100_000)
    const parsed = await api('POST', '/api/v1/brain/search', { token, rawBody: abyss })
    assert.equal(parsed.status, 400)
    assert.deepEqual(parsed.json, {
      error: { code: 'invalid_json', message: 'The body is not valid JSON' },
    })
    assert.lengthOf(await contactsOf(context), 0)
  })
})

test.group('Bad input: text the database cannot store', () => {
  test('NUL characters and unpaired surrogates are 422 naming the field, from the query, the body and its keys', async ({
    assert,
    cleanup,
  }) => {
    const { token, context } = await apiTenant(cleanup, 'nul')
    const fieldsOf = async (method: string, path: string, body?: string) => {
      const response = await api(method, path, { token, rawBody: body })
      assert.equal(response.status, 422, `${method} ${path} ${body ?? ''}: ${response.text}`)
      assert.equal(response.json.error.code, 'validation_failed')
      return Object.keys(response.json.error.fields)
    }
    assert.deepEqual(await fieldsOf('GET', '/api/v1/contacts?tag=%00'), ['tag'])
    assert.deepEqual(await fieldsOf('GET', '/api/v1/conversations?label=a%00b&status=open'), [
      'label',
    ])
    const phone = freshPhone()
    assert.deepEqual(
      await fieldsOf('POST', '/api/v1/contacts', `{"phone":"${phone}","name":"Lay\\u0000la"}`),
      ['name']
    )
    assert.deepEqual(
      await fieldsOf(
        'POST',
        '/api/v1/contacts',
        `{"phone":"${phone}","attributes":{"plan":"gold \\ud83d"}}`
      ),
      ['attributes.plan']
    )
    assert.deepEqual(
      await fieldsOf('POST', '/api/v1/contacts', `{"phone":"${phone}","tags":["ok","\\udc00"]}`),
      ['tags.1']
    )
    assert.deepEqual(
      await fieldsOf(
        'POST',
        '/api/v1/contacts',
        `{"phone":"${phone}","attributes":{"k\\u0000":"v"}}`
      ),
      ['attributes']
    )
    assert.deepEqual(await fieldsOf('POST', '/api/v1/brain/search', '{"query":"open\\u0000"}'), [
      'query',
    ])
    assert.lengthOf(await contactsOf(context), 0)

    // A whole emoji (a surrogate pair, escaped or not) is text like any other.
    const kept = await api('POST', '/api/v1/contacts', {
      token,
      rawBody: `{"phone":"${phone}","name":"Layla \\ud83d\\ude00 😀"}`,
    })
    assert.equal(kept.status, 201, kept.text)
    assert.equal(kept.json.name, 'Layla 😀 😀')
  })

  test('a back-office form with such text goes back with the field message and what was typed', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'nulform')
    const web = await signIn(await w.member('owner'))
    const form = `${w.base}/contacts/new`
    await web.get(form)
    const refused = await web.post(
      `${w.base}/contacts`,
      { phone: '+971501234567', name: 'Lay\u0000la', notes: 'Prefers mornings' },
      { referer: `${WebSession.baseUrl()}${form}` }
    )
    assert.equal(refused.status, 302)
    assert.equal(refused.location, form)
    const page = await web.get(form)
    assert.include(page.body, 'Contains an invisible control character or a broken character')
    // What was typed comes back, the character replaced; nothing was stored.
    assert.include(page.body, 'value="Lay\uFFFDla"')
    assert.include(page.body, 'Prefers mornings')
    assert.lengthOf(await contactsOf(w.context), 0)

    // An address with such text (a search box) is a page that says so, not a 500.
    const search = await web.get(`${w.base}/contacts?q=%00`)
    assert.equal(search.status, 422)
    assert.include(search.body, 'This address cannot be used')
  })

  test('a web chat visitor’s message with such text is 422 naming the field', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('nulchat')
    cleanup(made.cleanup)
    const { channel, visitorToken } = await webchatVisitor(made.tenant)
    const response = await fetch(`${WebSession.baseUrl()}/webchat/${channel.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'authorization': `Bearer ${visitorToken}` },
      body: '{"text":"hi \\u0000","clientId":"5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f"}',
    })
    assert.equal(response.status, 422)
    const body: any = await response.json()
    assert.equal(body.error.code, 'validation_failed')
    assert.deepEqual(Object.keys(body.error.fields), ['text'])
    const stored = await made.context.transaction((trx) => Message.query({ client: trx }))
    assert.lengthOf(stored, 0)
  })

  test('a WhatsApp message with a NUL and half an emoji is accepted, stored and processed with U+FFFD in their place', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('nulwa')
    cleanup(wa.cleanup)
    const workers = await startInboundWorkers()
    cleanup(() => workers.stop())
    const message = messages.text({ from: waId() }, 'PLACEHOLDER')
    // As Meta escapes them in the JSON it sends.
    const raw = JSON.stringify(webhook(wa, { messages: [message] })).replace(
      'PLACEHOLDER',
      'Hello\\u0000 there \\ud83d'
    )
    const response = await postWebhook(raw, wa.appSecret)
    assert.equal(response.status, 200)

    const [event] = (
      await db.rawQuery(`select payload from webhook_events where channel_id = ?`, [wa.channel.id])
    ).rows
    assert.equal(
      event.payload.entry[0].changes[0].value.messages[0].text.body,
      'Hello\uFFFD there \uFFFD'
    )
    const stored = await waitFor(async () => {
      const rows = await wa.context.transaction((trx) =>
        Message.query({ client: trx }).where('external_id', message.id)
      )
      return rows[0]
    })
    assert.equal(stored.body, 'Hello\uFFFD there \uFFFD')
  })
})

test.group('Bad input: our own failures', () => {
  test('a 500 says "Internal error" and the request id, never the SQL, on the API, JSON and HTML', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'boom')
    const { token } = await makeKey(w.tenant)
    const web = await signIn(await w.member('owner'))
    // A failure of ours: the table a page and an endpoint read is gone.
    await db.rawQuery(`drop table "${w.context.schema}"."contacts" cascade`)

    const apiAnswer = await api('GET', '/api/v1/contacts', { token })
    assert.equal(apiAnswer.status, 500)
    const requestId = apiAnswer.headers.get('x-request-id')
    assert.isString(requestId)
    assert.deepEqual(apiAnswer.json, {
      error: { code: 'internal_error', message: 'Internal error', request_id: requestId },
    })

    const page = await web.get(`${w.base}/contacts`)
    assert.equal(page.status, 500)
    const pageId = page.response.headers.get('x-request-id')
    assert.isString(pageId)
    assert.notEqual(pageId, requestId)
    assert.include(page.body, 'Internal error')
    assert.include(page.body, `data-request-id="${pageId}"`)

    const cookie = [...web.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const json = await fetch(`${WebSession.baseUrl()}${w.base}/contacts`, {
      headers: { cookie, accept: 'application/json' },
    })
    assert.equal(json.status, 500)
    const body: any = await json.json()
    assert.deepEqual(body, {
      error: {
        code: 'internal_error',
        message: 'Internal error',
        request_id: json.headers.get('x-request-id'),
      },
    })
    for (const text of [apiAnswer.text, page.body, JSON.stringify(body)]) {
      assert.notMatch(text, /does not exist|select .* from|drop table|\.ts:\d+/i)
    }
  })
})
