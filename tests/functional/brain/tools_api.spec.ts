import { test } from '@japa/runner'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'
import { learnText } from '#tests/helpers/brain'
import { clinicPageHtml, policyPdf } from '#tests/helpers/document_fixtures'
import { api, makeKey } from '../integrations/api_client.js'
import { POLICY, contactWithMemory, tenantWithKey, upload } from './brain_api_fixtures.js'

async function convert(token: string, file: { name: string; content: string | Buffer }) {
  return upload('/api/v1/tools/convert/file-to-md', token, file)
}

test.group('API tools | file to Markdown', () => {
  test('a PDF keeps its pages and title; Markdown and CSV convert; nothing is stored', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup, 'tapi')
    const pdf = await convert(token, { name: 'policy.pdf', content: policyPdf() })
    assert.equal(pdf.status, 200)
    assert.equal(pdf.json.title, 'Professional Indemnity Policy')
    assert.equal(pdf.json.pages, 3)
    assert.equal(pdf.json.language, 'english')
    assert.include(pdf.json.markdown, '<!-- page: 2 -->')
    assert.include(pdf.json.markdown, 'Work done as a locum')

    const csv = await convert(token, { name: 'prices.csv', content: 'Plan,Premium\nBasic,100\n' })
    assert.equal(csv.status, 200)
    assert.include(csv.json.markdown, 'Basic')
    assert.isNull(csv.json.pages)

    const md = await convert(token, { name: 'policy.md', content: POLICY })
    assert.equal(md.json.title, 'Medical Malpractice Policy')
    const listed = await api('GET', '/api/v1/brain/sources', { token })
    assert.deepEqual(listed.json.data, [])
  })

  test('unreadable, protected, unknown, too large or missing files are refused with codes', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup, 'tapi')
    const corrupt = await convert(token, { name: 'cover.pdf', content: '%PDF-1.7\n not a pdf' })
    assert.equal(corrupt.status, 422)
    assert.equal(corrupt.json.error.code, 'corrupt')
    assert.property(corrupt.json.error.fields, 'file')
    const locked = await convert(token, {
      name: 'locked.pdf',
      content: policyPdf({ userPassword: 'secret' }),
    })
    assert.equal(locked.status, 422)
    assert.equal(locked.json.error.code, 'encrypted')
    const exe = await convert(token, { name: 'tool.exe', content: Buffer.from([0x4d, 0x5a, 0, 1]) })
    assert.equal(exe.status, 422)
    assert.equal(exe.json.error.code, 'unsupported_type')

    const previous = app.config.get<Record<string, unknown>>('brain')
    app.config.set('brain', { ...previous, maxFileBytes: 1000 })
    try {
      const big = await convert(token, { name: 'big.txt', content: 'x'.repeat(2000) })
      assert.equal(big.status, 413)
      assert.equal(big.json.error.code, 'too_large')
    } finally {
      app.config.set('brain', previous)
    }
    const none = await api('POST', '/api/v1/tools/convert/file-to-md', {
      token,
      body: { file: 'policy.pdf' },
    })
    assert.equal(none.status, 422)
    assert.property(none.json.error.fields, 'file')
  })
})

test.group('API tools | URL to Markdown', (group) => {
  let server: Server
  let base = ''
  group.setup(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hours') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(clinicPageHtml())
      } else res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return () => new Promise<void>((resolve) => server.close(() => resolve()))
  })

  test('fetches a page and keeps its main content; private addresses stay blocked by default', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup, 'tapi')
    const blocked = await api('POST', '/api/v1/tools/convert/url-to-md', {
      token,
      body: { url: `${base}/hours` },
    })
    assert.equal(blocked.status, 422)
    assert.equal(blocked.json.error.code, 'blocked_address')

    const previous = app.config.get<Record<string, unknown>>('brain')
    app.config.set('brain', { ...previous, allowPrivateUrlSources: true })
    try {
      const page = await api('POST', '/api/v1/tools/convert/url-to-md', {
        token,
        body: { url: `${base}/hours` },
      })
      assert.equal(page.status, 200)
      assert.equal(page.json.final_url, `${base}/hours`)
      assert.isString(page.json.title)
      assert.isAbove(page.json.markdown.length, 20)
      assert.isNull(page.json.pages)
      const missing = await api('POST', '/api/v1/tools/convert/url-to-md', {
        token,
        body: { url: `${base}/gone` },
      })
      assert.equal(missing.status, 502)
      assert.equal(missing.json.error.code, 'fetch_failed')
    } finally {
      app.config.set('brain', previous)
    }

    for (const body of [{ url: 'ftp://files.example/a' }, { url: 'nonsense' }]) {
      const bad = await api('POST', '/api/v1/tools/convert/url-to-md', { token, body })
      assert.equal(bad.status, 422)
      assert.equal(bad.json.error.code, 'invalid_url')
    }
    const empty = await api('POST', '/api/v1/tools/convert/url-to-md', { token, body: {} })
    assert.equal(empty.json.error.code, 'validation_failed')
  })
})

test.group('API tools | prepare context', () => {
  test('passages and the contact memory come as data and as prompt text', async ({
    assert,
    cleanup,
  }) => {
    const { context, token } = await tenantWithKey(cleanup, 'tapi')
    const policy = await learnText(context, 'Malpractice policy', POLICY)
    const contact = await contactWithMemory(context)
    const response = await api('POST', '/api/v1/tools/prepare/context', {
      token,
      body: { query: 'Is locum work covered?', contact_id: contact.id, k: 2 },
    })
    assert.equal(response.status, 200)
    const envelope = response.json
    assert.equal(envelope.query, 'Is locum work covered?')
    assert.isAtMost(envelope.passages.length, 2)
    assert.include(envelope.passages[0], { n: 1, source_id: policy.id, heading: 'Locum work' })
    assert.equal(envelope.memory.summary, 'A locum GP asking about cover at a second clinic.')
    assert.deepEqual(envelope.memory.facts, [{ kind: 'policy_number', value: 'MP-2291' }])
    assert.include(envelope.text, '[1] Malpractice policy › Locum work')
    assert.include(envelope.text, 'locum tenens')
    assert.include(envelope.text, 'MP-2291')

    const anonymous = await api('POST', '/api/v1/tools/prepare/context', {
      token,
      body: { query: 'Is locum work covered?' },
    })
    assert.isNull(anonymous.json.memory)
    assert.notInclude(anonymous.json.text, 'MP-2291')
  })

  test("another tenant's contact is 404; memory needs contacts:read; bad input is 422", async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, token } = await tenantWithKey(cleanup, 'tapi')
    const other = await tenantWithKey(cleanup, 'tapo')
    const theirs = await contactWithMemory(other.context)
    const mine = await contactWithMemory(context)

    const foreign = await api('POST', '/api/v1/tools/prepare/context', {
      token,
      body: { query: 'policy number', contact_id: theirs.id },
    })
    assert.equal(foreign.status, 404)
    assert.equal(foreign.json.error.code, 'contact_not_found')
    assert.notInclude(foreign.text, 'MP-2291')

    const { token: knowledgeOnly } = await makeKey(tenant, ['knowledge:read'])
    const refused = await api('POST', '/api/v1/tools/prepare/context', {
      token: knowledgeOnly,
      body: { query: 'policy number', contact_id: mine.id },
    })
    assert.equal(refused.status, 403)
    const { token: contactsOnly } = await makeKey(tenant, ['contacts:read'])
    for (const path of ['prepare/context', 'convert/url-to-md']) {
      const response = await api('POST', `/api/v1/tools/${path}`, {
        token: contactsOnly,
        body: { query: 'x' },
      })
      assert.equal(response.status, 403)
      assert.equal(response.json.error.code, 'insufficient_scope')
    }

    for (const body of [{}, { query: 'x', k: 21 }, { query: 'x', contact_id: 'me' }]) {
      const bad = await api('POST', '/api/v1/tools/prepare/context', { token, body })
      assert.equal(bad.status, 422, JSON.stringify(body))
    }
  })
})
