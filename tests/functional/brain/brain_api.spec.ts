import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import app from '@adonisjs/core/services/app'
import { findSource, ingestSource } from '#modules/brain/index'
import type { TenantContext } from '#modules/tenancy/index'
import { chunksOf, learnText } from '#tests/helpers/brain'
import { useFakeOpenAI } from '#tests/helpers/fake_openai_server'
import { WebSession } from '#tests/helpers/web_session'
import { api, makeKey } from '../integrations/api_client.js'
import { POLICY, contactWithMemory, tenantWithKey, upload } from './brain_api_fixtures.js'

/** Runs the queued ingestion here rather than waiting for a worker. */
async function ingested(context: TenantContext, id: string) {
  const source = (await findSource(context, id))!
  await ingestSource(context, id, source.version)
  return source
}

test.group('API brain sources', () => {
  test('text, URL and FAQ sources are queued (202), read back, listed by cursor and deleted', async ({
    assert,
    cleanup,
  }) => {
    const { context, token } = await tenantWithKey(cleanup)
    const text = await api('POST', '/api/v1/brain/sources', {
      token,
      body: { title: 'Malpractice policy', text: POLICY, tags: ['policy'] },
    })
    assert.equal(text.status, 202)
    assert.include(text.json, {
      kind: 'text',
      title: 'Malpractice policy',
      status: 'queued',
      version: 1,
      chunk_count: 0,
      error: null,
    })
    assert.deepEqual(text.json.tags, ['policy'])
    assert.equal(text.headers.get('location'), `/api/v1/brain/sources/${text.json.id}`)
    assert.notProperty(text.json, 'file_key')
    assert.notProperty(text.json, 'markdown')

    const url = await api('POST', '/api/v1/brain/sources', {
      token,
      body: { url: 'https://broker.example/faq' },
    })
    assert.equal(url.status, 202)
    assert.include(url.json, { kind: 'url', url: 'https://broker.example/faq', status: 'queued' })
    const faq = await api('POST', '/api/v1/brain/sources', {
      token,
      body: { title: 'FAQ', pairs: [{ question: 'Opening hours?', answer: '9 to 5.' }] },
    })
    assert.equal(faq.status, 202)
    assert.equal(faq.json.kind, 'faq')

    await ingested(context, text.json.id)
    const read = await api('GET', `/api/v1/brain/sources/${text.json.id}`, { token })
    assert.equal(read.status, 200)
    assert.include(read.json, { status: 'ready', version: 1, live_version: 1, error: null })
    assert.isAbove(read.json.chunk_count, 0)
    assert.match(read.json.ingested_at, /Z$/)

    const first = await api('GET', '/api/v1/brain/sources?limit=2', { token })
    assert.equal(first.status, 200)
    assert.deepEqual(
      first.json.data.map((s: any) => s.id),
      [faq.json.id, url.json.id]
    )
    const rest = await api(
      'GET',
      `/api/v1/brain/sources?limit=2&cursor=${first.json.next_cursor}`,
      {
        token,
      }
    )
    assert.deepEqual(
      rest.json.data.map((s: any) => s.id),
      [text.json.id]
    )
    assert.isNull(rest.json.next_cursor)
    const ready = await api('GET', '/api/v1/brain/sources?status=ready', { token })
    assert.deepEqual(
      ready.json.data.map((s: any) => s.id),
      [text.json.id]
    )
    assert.equal((await api('GET', '/api/v1/brain/sources?status=done', { token })).status, 422)

    const deleted = await api('DELETE', `/api/v1/brain/sources/${text.json.id}`, { token })
    assert.equal(deleted.status, 204)
    assert.lengthOf(await chunksOf(context, text.json.id), 0)
    assert.equal((await api('GET', `/api/v1/brain/sources/${text.json.id}`, { token })).status, 404)
    assert.equal(
      (await api('DELETE', `/api/v1/brain/sources/${text.json.id}`, { token })).status,
      404
    )
  })

  test('a multipart upload becomes a file source; a retried POST with an Idempotency-Key creates one', async ({
    assert,
    cleanup,
  }) => {
    const { context, token } = await tenantWithKey(cleanup)
    const headers = { 'Idempotency-Key': randomUUID() }
    const file = { name: 'policy.md', content: POLICY, type: 'text/markdown' }
    const sent = await upload(
      '/api/v1/brain/sources',
      token,
      file,
      { tags: 'policy, claims' },
      headers
    )
    assert.equal(sent.status, 202)
    assert.include(sent.json, {
      kind: 'file',
      file_name: 'policy.md',
      title: 'policy',
      status: 'queued',
    })
    assert.deepEqual(sent.json.tags, ['policy', 'claims'])
    const again = await upload(
      '/api/v1/brain/sources',
      token,
      file,
      { tags: 'policy, claims' },
      headers
    )
    assert.equal(again.status, 202)
    assert.equal(again.headers.get('idempotent-replayed'), 'true')
    assert.equal(again.json.id, sent.json.id)
    const all = await api('GET', '/api/v1/brain/sources', { token })
    assert.lengthOf(all.json.data, 1)

    await ingested(context, sent.json.id)
    const read = await api('GET', `/api/v1/brain/sources/${sent.json.id}`, { token })
    assert.equal(read.json.status, 'ready')
    assert.equal(read.json.title, 'Medical Malpractice Policy')

    const refetch = await api('POST', `/api/v1/brain/sources/${sent.json.id}/refetch`, { token })
    assert.equal(refetch.status, 202)
    assert.include(refetch.json, { status: 'queued', version: 2, live_version: 1 })
  })

  test('bad input is refused with codes: type, size, empty, bad URL, unknown field, two kinds', async ({
    assert,
    cleanup,
  }) => {
    const { token } = await tenantWithKey(cleanup)
    const exe = await upload('/api/v1/brain/sources', token, { name: 'tool.exe', content: 'MZ' })
    assert.equal(exe.status, 422)
    assert.equal(exe.json.error.code, 'unsupported_type')
    assert.property(exe.json.error.fields, 'file')

    const previous = app.config.get<Record<string, unknown>>('brain')
    app.config.set('brain', { ...previous, maxFileBytes: 1000 })
    try {
      const big = await upload('/api/v1/brain/sources', token, {
        name: 'big.txt',
        content: 'x'.repeat(2000),
      })
      assert.equal(big.status, 413)
      assert.equal(big.json.error.code, 'too_large')
      const longText = await api('POST', '/api/v1/brain/sources', {
        token,
        body: { title: 'Long', text: 'y'.repeat(2000) },
      })
      assert.equal(longText.status, 413)
      assert.equal(longText.json.error.code, 'too_large')
    } finally {
      app.config.set('brain', previous)
    }

    const noFile = await fetch(`${WebSession.baseUrl()}/api/v1/brain/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: (() => {
        const form = new FormData()
        form.append('title', 'Nothing attached')
        return form
      })(),
    })
    assert.equal(noFile.status, 422)
    assert.property(((await noFile.json()) as any).error.fields, 'file')

    const cases: Array<[unknown, number, string, string]> = [
      [{ title: 'Blank', text: '   ' }, 422, 'empty', 'text'],
      [{ url: 'ftp://files.example/a' }, 422, 'invalid_url', 'url'],
      [{ url: 'not a url' }, 422, 'invalid_url', 'url'],
      [{ text: 'No title' }, 422, 'required', 'title'],
      [{ title: 'Both', text: 'a', url: 'https://x.example' }, 422, 'validation_failed', 'url'],
      [{ title: 'None' }, 422, 'validation_failed', 'url'],
      [{ title: 'T', text: 'a', colour: 'red' }, 422, 'unknown_field', 'colour'],
      [{ title: 'T', text: 'a', tags: 'policy' }, 422, 'validation_failed', 'tags'],
    ]
    for (const [body, status, code, field] of cases) {
      const response = await api('POST', '/api/v1/brain/sources', { token, body })
      assert.equal(response.status, status, JSON.stringify(body))
      assert.equal(response.json.error.code, code, JSON.stringify(body))
      assert.property(response.json.error.fields ?? {}, field, JSON.stringify(body))
    }
    assert.equal(
      (
        await api('POST', '/api/v1/brain/sources', {
          token,
          rawBody: '{"title":',
          contentType: 'application/json',
        })
      ).status,
      400
    )
    assert.equal((await api('GET', '/api/v1/brain/sources/not-a-uuid', { token })).status, 404)
  })

  test('scopes: reading needs knowledge:read, changing knowledge:write, memory contacts:read', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context } = await tenantWithKey(cleanup)
    const source = await learnText(context, 'Malpractice policy', POLICY)
    const contact = await contactWithMemory(context)
    const { token: none } = await makeKey(tenant, ['contacts:read'])
    const { token: reader } = await makeKey(tenant, ['knowledge:read'])

    const refused = [
      await api('GET', '/api/v1/brain/sources', { token: none }),
      await api('GET', `/api/v1/brain/sources/${source.id}`, { token: none }),
      await api('POST', '/api/v1/brain/search', { token: none, body: { query: 'locum' } }),
      await api('POST', '/api/v1/brain/answer', { token: none, body: { question: 'locum?' } }),
      await api('POST', '/api/v1/brain/sources', {
        token: reader,
        body: { title: 'T', text: 'a' },
      }),
      await api('DELETE', `/api/v1/brain/sources/${source.id}`, { token: reader }),
      await api('POST', `/api/v1/brain/sources/${source.id}/refetch`, { token: reader }),
      await api('POST', '/api/v1/brain/answer', {
        token: reader,
        body: { question: 'Is locum work covered?', contact_id: contact.id },
      }),
    ]
    for (const response of refused) {
      assert.equal(response.status, 403)
      assert.equal(response.json.error.code, 'insufficient_scope')
    }
    assert.equal(
      (await api('GET', `/api/v1/brain/sources/${source.id}`, { token: reader })).status,
      200
    )
    assert.equal((await api('GET', '/api/v1/brain/sources', { token: null })).status, 401)
    assert.equal((await findSource(context, source.id))!.status, 'ready')
  })

  test("another tenant's sources, chunks and contacts are out of reach", async ({
    assert,
    cleanup,
  }) => {
    const mine = await tenantWithKey(cleanup)
    const theirs = await tenantWithKey(cleanup, 'bapo')
    const secret = await learnText(
      theirs.context,
      'Zebra policy',
      '# Zebra\n\nZebra stripes are insured against fading for 12 years.'
    )
    const theirContact = await contactWithMemory(theirs.context)
    await learnText(mine.context, 'Malpractice policy', POLICY)
    const token = mine.token

    assert.equal((await api('GET', `/api/v1/brain/sources/${secret.id}`, { token })).status, 404)
    assert.equal((await api('DELETE', `/api/v1/brain/sources/${secret.id}`, { token })).status, 404)
    assert.equal(
      (await api('POST', `/api/v1/brain/sources/${secret.id}/refetch`, { token })).status,
      404
    )
    assert.lengthOf((await api('GET', '/api/v1/brain/sources', { token })).json.data, 1)
    const search = await api('POST', '/api/v1/brain/search', {
      token,
      body: { query: 'zebra stripes fading insured', k: 50 },
    })
    assert.equal(search.status, 200)
    assert.isTrue(search.json.results.every((r: any) => !r.text.includes('Zebra')))
    const filtered = await api('POST', '/api/v1/brain/search', {
      token,
      body: { query: 'zebra stripes', filters: { source_ids: [secret.id] } },
    })
    assert.deepEqual(filtered.json.results, [])
    const answer = await api('POST', '/api/v1/brain/answer', {
      token,
      body: { question: 'Are zebra stripes insured?', contact_id: theirContact.id },
    })
    assert.equal(answer.status, 404)
    assert.equal(answer.json.error.code, 'contact_not_found')
    assert.equal((await findSource(theirs.context, secret.id))!.status, 'ready')
  })
})

test.group('API brain search and answers', () => {
  test('search returns the workspace ranking with chunk, source, heading, page and score', async ({
    assert,
    cleanup,
  }) => {
    const { context, token } = await tenantWithKey(cleanup)
    const policy = await learnText(context, 'Malpractice policy', POLICY, ['policy'])
    await learnText(
      context,
      'Prices',
      '# Prices\n\nTravel vaccinations cost 35 dollars per dose.',
      ['pricing']
    )
    const response = await api('POST', '/api/v1/brain/search', {
      token,
      body: { query: 'Is locum work covered by my policy?', k: 2 },
    })
    assert.equal(response.status, 200)
    const [best] = response.json.results
    assert.isAtMost(response.json.results.length, 2)
    assert.include(best, {
      source_id: policy.id,
      title: 'Malpractice policy',
      heading: 'Locum work',
      page: null,
    })
    assert.include(best.text, 'locum tenens')
    assert.closeTo(best.score, 2 / 61, 1e-9)
    assert.match(best.chunk_id, /^[0-9a-f-]{36}$/)

    const tagged = await api('POST', '/api/v1/brain/search', {
      token,
      body: { query: 'how much does it cost', filters: { tags: ['policy'] } },
    })
    assert.isTrue(tagged.json.results.every((r: any) => r.source_id === policy.id))

    for (const body of [
      {},
      { query: '' },
      { query: 'x', k: 0 },
      { query: 'x', k: 51 },
      { query: 'x', filters: { source_ids: ['nope'] } },
    ]) {
      const bad = await api('POST', '/api/v1/brain/search', { token, body })
      assert.equal(bad.status, 422, JSON.stringify(body))
      assert.equal(bad.json.error.code, 'validation_failed')
    }
  })

  test('answer without a model quotes the passages with citations; an uncovered question hands off', async ({
    assert,
    cleanup,
  }) => {
    const { context, token } = await tenantWithKey(cleanup)
    const policy = await learnText(context, 'Malpractice policy', POLICY)
    const response = await api('POST', '/api/v1/brain/answer', {
      token,
      body: { question: 'Is locum work covered?' },
    })
    assert.equal(response.status, 200)
    assert.equal(response.json.mode, 'extractive')
    assert.isFalse(response.json.handoff)
    assert.include(response.json.answer, 'locum')
    assert.equal(response.json.citations[0].source_id, policy.id)
    assert.equal(response.json.citations[0].n, 1)
    assert.isAbove(response.json.confidence, 0)

    const uncovered = await api('POST', '/api/v1/brain/answer', {
      token,
      body: { question: 'Which football team won the league in 1998?' },
    })
    assert.equal(uncovered.status, 200)
    assert.isTrue(uncovered.json.handoff)
    assert.isNotNull(uncovered.json.reason)
  })
})

test.group('API brain answers with a chat model', (group) => {
  const ai = useFakeOpenAI(group, { chatModel: 'chat-test', embedModel: null })

  test("the model answers from the passages and the contact's memory, citing them", async ({
    assert,
    cleanup,
  }) => {
    const { context, token } = await tenantWithKey(cleanup)
    const policy = await learnText(context, 'Malpractice policy', POLICY)
    const contact = await contactWithMemory(context)
    ai.respond(() =>
      JSON.stringify({
        answer: 'Yes, Dr Haddad: locum work is covered for up to 90 days a year [1].',
        citations: [1],
        covered: true,
        confidence: 0.9,
      })
    )
    const response = await api('POST', '/api/v1/brain/answer', {
      token,
      body: { question: 'Is my locum work covered?', contact_id: contact.id },
    })
    assert.equal(response.status, 200)
    assert.equal(response.json.mode, 'llm')
    assert.isFalse(response.json.handoff)
    assert.include(response.json.answer, '90 days')
    assert.equal(response.json.citations[0].source_id, policy.id)
    assert.equal(response.json.citations[0].heading, 'Locum work')

    const [call] = ai.chatCalls()
    assert.equal(call.body.model, 'chat-test')
    const prompt = JSON.stringify(call.body.messages)
    assert.include(prompt, 'locum tenens')
    assert.include(prompt, 'MP-2291')
  })
})
