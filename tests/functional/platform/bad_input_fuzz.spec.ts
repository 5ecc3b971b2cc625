import { test } from '@japa/runner'
import { randomUUID } from 'node:crypto'
import { addSandboxChannel } from '#modules/channels/index'
import { webchatVisitor } from '#tests/helpers/webchat'
import { systemActor } from '#modules/tenancy/index'
import { WebSession } from '#tests/helpers/web_session'
import { learnText } from '#tests/helpers/brain'
import { makeWhatsAppTenant, messages, sign, waId, webhook } from '#tests/helpers/whatsapp'
import { api, freshPhone, makeKey } from '#tests/functional/integrations/api_client'

/*
| Bad input, thrown from outside at every operation of the OpenAPI document
| (GET /api/v1/openapi.json), the WhatsApp webhook and the web chat routes:
| malformed and deeply nested bodies, wrong types, NUL characters and
| unpaired surrogates, odd search text, hostile query parameters and path
| ids. Whatever is sent, the answer is a 2xx, 3xx or 4xx (never a 5xx), it
| comes within REQUEST_TIMEOUT_MS, and the API's errors keep their
| documented shape without internals (SQL, stack traces).
|
| Deterministic: the cases come from a fixed seed, so a failure names a case
| that fails the same way on the next run.
*/

const SEED = 0x13_0a_f0
const REQUEST_TIMEOUT_MS = 5_000
/** Cases drawn per operation, besides the fixed ones every operation gets. */
const DRAWN_PER_OPERATION = 10
const CONCURRENCY = 4

/** mulberry32: a tiny seeded generator, so every run sends the same cases. */
function seeded(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    pick<T>(list: readonly T[]): T {
      return list[Math.floor(next() * list.length)]
    },
    /** The first `always` items, and `more` others drawn from the rest. */
    draw<T>(list: readonly T[], always: number, more: number): T[] {
      const rest = list.slice(always)
      const drawn = new Set<T>()
      while (drawn.size < Math.min(more, rest.length)) {
        drawn.add(rest[Math.floor(next() * rest.length)])
      }
      return [...list.slice(0, always), ...drawn]
    },
  }
}

const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)

/** Text that has broken something somewhere, or should be kept as typed. */
const HOSTILE_TEXT = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'tail \udfff',
  '\ud83d',
  "'; drop table contacts; --",
  '%',
  '%_\\',
  '\\',
  '"',
  '*',
  ':*',
  '!',
  '&|!()<->',
  'a:* & !b',
  "it's",
  '<script>alert(1)</script>',
  '{{ 7*7 }}',
  '../../etc/passwd',
  '\u202eevil',
  '😀'.repeat(300),
  'مرحبا بالعالم',
  'e\u0301\u0301\u0301',
  'the of and a to in',
  'x'.repeat(20_000),
  'x'.repeat(1_999),
  'word '.repeat(4_000),
  'open '.repeat(399),
  '😀'.repeat(999),
  'a'.repeat(2_100) + ' hours',
  'null',
  '-1',
  '1e309',
  'NaN',
  'http://127.0.0.1:9/',
  'javascript:alert(1)',
  '\r\n\t\u000b\u000c',
]

const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 63),
  1e308,
  [],
  {},
  [null],
  ['a', 'a'],
  { a: { b: {} } },
  Array.from({ length: 600 }, (_, i) => `item ${i}`),
  Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'v'])),
  ...HOSTILE_TEXT,
]

/** Raw bodies that are not what any endpoint expects. */
const RAW_BODIES: Array<{ what: string; body: string | Buffer; type?: string }> = [
  { what: '2,000-deep object', body: deepObject(2_000) },
  { what: 'NUL escape', body: '{"a":"\\u0000"}' },
  { what: 'lone surrogate', body: '{"a":"\\ud800"}' },
  { what: 'truncated JSON', body: '{"a":' },
  { what: '100,000-deep array', body: deepArray(100_000) },
  { what: 'JSON null', body: 'null' },
  { what: 'JSON string', body: '"hello"' },
  { what: 'JSON array', body: '[1,2,3]' },
  { what: 'empty object', body: '{}' },
  { what: '2,000-deep array', body: deepArray(2_000) },
  { what: '40-deep object', body: deepObject(40) },
  { what: 'NUL key', body: '{"a\\u0000":"b"}' },
  {
    what: 'invalid UTF-8',
    body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
  },
  { what: 'BOM', body: '\ufeff{"a":1}' },
  { what: 'proto pollution', body: '{"__proto__":{"admin":true},"constructor":{"prototype":{}}}' },
  { what: 'duplicate keys', body: '{"a":1,"a":"2"}' },
  { what: 'huge number', body: '{"a":1e99999}' },
  {
    what: 'form body',
    body: 'a=1&b[c][d][e][f][g][h]=2',
    type: 'application/x-www-form-urlencoded',
  },
  { what: 'text body', body: 'hello', type: 'text/plain' },
  {
    what: 'broken multipart',
    body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb',
    type: 'multipart/form-data; boundary=x',
  },
  { what: 'multipart without boundary', body: 'abc', type: 'multipart/form-data' },
  { what: 'over the size limit', body: `{"a":"${'x'.repeat(1_100_000)}"}` },
]

/** Path segments where an id belongs. */
const HOSTILE_IDS = [
  '%00',
  '%ED%A0%80',
  '%',
  'x'.repeat(3_000),
  '%zz',
  '..',
  '%2e%2e',
  '%2F',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '-1',
  '1e309',
  '0x10',
  'null',
  '%F0%9F%98%80',
  "'%20or%201=1--",
  '%3Cscript%3E',
]

/** Query values, already percent-encoded as an attacker would type them. */
const HOSTILE_QUERY = [
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%',
  '%zz',
  '',
  '-1',
  '0',
  '99999999999999999999',
  '1.5',
  'x'.repeat(4_000),
  '%27%3B%20drop%20table%20contacts%3B--',
  '%3A*',
  '%5C',
  'null',
  'true',
  '2026-02-30T25:61:00Z',
  '0000-00-00',
]

interface Case {
  what: string
  method: string
  path: string
  body?: string | Buffer
  type?: string
  headers?: Record<string, string>
  /** An /api/v1 answer: 4xx bodies must be the documented error shape. */
  api?: boolean
}

interface Outcome {
  status: number
  text: string
  ms: number
  hung: boolean
}

async function send(c: Case): Promise<Outcome> {
  const started = performance.now()
  const headers: Record<string, string> = { accept: 'application/json', ...c.headers }
  if (c.body !== undefined) headers['content-type'] = c.type ?? 'application/json'
  try {
    const response = await fetch(`${WebSession.baseUrl()}${c.path}`, {
      method: c.method,
      headers,
      body: c.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    })
    const text = await response.text()
    return { status: response.status, text, ms: performance.now() - started, hung: false }
  } catch (error) {
    const hung = (error as Error).name === 'TimeoutError'
    if (!hung) throw error
    return { status: 0, text: '', ms: performance.now() - started, hung }
  }
}

/** What must hold of every answer; the problem, or null. */
function problemWith(c: Case, outcome: Outcome) {
  if (outcome.hung) return `no answer within ${REQUEST_TIMEOUT_MS} ms`
  if (outcome.status >= 500) return `${outcome.status} ${outcome.text.slice(0, 300)}`
  if (
    /\b(select|insert into|update|delete from)\b.*\b(from|set|values|where)\b/is.test(outcome.text)
  ) {
    return `SQL in the answer: ${outcome.text.slice(0, 300)}`
  }
  if (/\n\s+at .+:\d+:\d+/.test(outcome.text)) return 'a stack trace in the answer'
  if (c.api && outcome.status >= 400) {
    let json: any = null
    try {
      json = JSON.parse(outcome.text)
    } catch {}
    if (typeof json?.error?.code !== 'string' || typeof json?.error?.message !== 'string') {
      return `${outcome.status} not in the error shape: ${outcome.text.slice(0, 200)}`
    }
  }
  return null
}

async function runAll(cases: Case[]) {
  const failures: string[] = []
  let slowest = { ms: 0, what: '' }
  const statuses: Record<number, number> = {}
  let index = 0
  const worker = async () => {
    while (index < cases.length) {
      const c = cases[index++]
      const outcome = await send(c)
      statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1
      if (outcome.ms > slowest.ms) slowest = { ms: outcome.ms, what: c.what }
      const problem = problemWith(c, outcome)
      if (problem) failures.push(`${c.what}: ${problem}`)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return { failures, slowest, statuses }
}

type Schema = Record<string, any>

function resolveRef(document: any, schema: Schema): Schema {
  if (!schema?.$ref) return schema
  return schema.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: any, part: string) => node?.[part], document)
}

/** A value the schema accepts, as far as a sketch can tell (ids are real ones). */
function sample(document: any, raw: Schema, name: string, ids: Record<string, string>): unknown {
  const schema = resolveRef(document, raw)
  if (schema.examples?.length) return schema.examples[0]
  if (schema.enum) return schema.enum[0]
  if (schema.const !== undefined) return schema.const
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  const type = types.find((t: string) => t !== 'null') ?? 'string'
  if (schema.anyOf || schema.oneOf) {
    return sample(document, (schema.anyOf ?? schema.oneOf)[0], name, ids)
  }
  switch (type) {
    case 'object': {
      const value: Record<string, unknown> = {}
      for (const [key, child] of Object.entries<Schema>(schema.properties ?? {})) {
        value[key] = sample(document, child, key, ids)
      }
      return value
    }
    case 'array':
      return schema.items ? [sample(document, schema.items, name, ids)] : []
    case 'integer':
    case 'number':
      return schema.minimum ?? 1
    case 'boolean':
      return true
    default:
      if (schema.format === 'uuid') return ids[name] ?? randomUUID()
      if (schema.format === 'e164') return freshPhone()
      if (schema.format === 'email') return 'fuzz@example.com'
      if (schema.format === 'date-time') return new Date().toISOString()
      if (schema.format === 'uri' || name.includes('url')) return 'https://example.com/hook'
      return name === 'text' || name === 'query' || name === 'question' ? 'opening hours' : 'fuzz'
  }
}

/** Every path to a value inside `value`, for a mutation to aim at. */
function leafPaths(value: unknown, prefix: string[] = [], found: string[][] = []) {
  found.push(prefix)
  if (value && typeof value === 'object' && prefix.length < 6) {
    for (const [key, child] of Object.entries(value)) leafPaths(child, [...prefix, key], found)
  }
  return found
}

function withValueAt(root: unknown, path: string[], value: unknown) {
  if (!path.length) return value
  const copy = structuredClone(root) as any
  let node = copy
  for (const key of path.slice(0, -1)) node = node[key]
  node[path.at(-1)!] = value
  return copy
}

function fill(path: string, values: Record<string, string>) {
  return path.replace(/\{(\w+)\}/g, (_, name) => values[name])
}

test.group('Bad input never answers 5xx and never hangs', () => {
  test('every operation of the OpenAPI document, with malformed bodies, parameters and path ids', async ({
    assert,
    cleanup,
  }) => {
    const random = seeded(SEED)
    const started = performance.now()
    const document = (await api('GET', '/api/v1/openapi.json')).json
    const made = await makeWhatsAppTenant('fuzz')
    cleanup(made.cleanup)
    const { token } = await makeKey(made.tenant)
    const sandbox = await addSandboxChannel(made.tenant, systemActor)
    // Keys are limited per minute; the cases take turns over enough keys to stay under it.
    const keys = await Promise.all([1, 2, 3, 4, 5].map(() => makeKey(made.tenant)))

    // Real resources, so valid ids reach the code behind the 404s.
    const phone = freshPhone()
    const contact = await api('POST', '/api/v1/contacts', { token, body: { phone, name: 'Fuzz' } })
    const ingested = await api('POST', '/api/v1/conversations/ingest', {
      token,
      body: {
        contact: { phone },
        channel_id: sandbox.id,
        messages: [
          {
            external_id: 'fuzz-1',
            direction: 'in',
            type: 'text',
            text: 'When are you open?',
            sent_at: new Date().toISOString(),
          },
        ],
      },
    })
    // Ready knowledge in English and Arabic, so searches run their statistics and ranking.
    await learnText(made.context, 'Hours', 'We are open from nine to five, Sunday to Thursday.')
    await learnText(made.context, 'الساعات', 'نعمل من التاسعة حتى الخامسة من الأحد إلى الخميس')
    const source = await api('POST', '/api/v1/brain/sources', {
      token,
      body: { title: 'Hours', text: 'We are open from nine to five, Sunday to Thursday.' },
    })
    const hook = await api('POST', '/api/v1/webhooks', {
      token,
      body: { url: 'https://example.com/fuzz', events: ['message.received'] },
    })
    const conversationId = ingested.json?.conversation?.id ?? ingested.json?.conversation_id
    const ids: Record<string, string> = {
      channel_id: sandbox.id,
      contact_id: contact.json.id,
      conversation_id: conversationId,
    }
    const realIdFor = (path: string) =>
      path.startsWith('/contacts/by-phone')
        ? encodeURIComponent(phone)
        : path.startsWith('/contacts')
          ? contact.json.id
          : path.startsWith('/conversations')
            ? conversationId
            : path.startsWith('/brain/sources')
              ? source.json?.id
              : path.startsWith('/webhooks') || path.startsWith('/hooks/{')
                ? hook.json?.id
                : path.startsWith('/hooks/samples')
                  ? 'message.received'
                  : randomUUID()

    const cases: Case[] = []
    let operations = 0
    for (const [path, item] of Object.entries<any>(document.paths)) {
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        const operation = item[method]
        if (!operation) continue
        operations++
        const params = (operation.parameters ?? []).map((p: Schema) => resolveRef(document, p))
        const pathParams = params.filter((p: Schema) => p.in === 'path')
        const queryParams = params.filter((p: Schema) => p.in === 'query')
        const real = Object.fromEntries(pathParams.map((p: Schema) => [p.name, realIdFor(path)]))
        const at = (values = real) => `/api/v1${fill(path, values)}`
        const one = (what: string, c: Omit<Case, 'what' | 'method' | 'api'>) =>
          cases.push({
            headers: { authorization: `Bearer ${keys[cases.length % keys.length].token}` },
            what: `${method.toUpperCase()} ${path} ${what}`,
            method: method.toUpperCase(),
            api: true,
            ...c,
          })

        // Path ids: the worst ones and a few others, in every path parameter.
        for (const param of pathParams) {
          for (const id of random.draw(HOSTILE_IDS, 4, 3)) {
            one(`{${param.name}}=${id.slice(0, 40)}`, {
              path: at({ ...real, [param.name]: id }),
            })
          }
        }

        // Query parameters: hostile values, arrays, objects, repeats.
        for (const param of queryParams) {
          for (const value of random.draw(HOSTILE_QUERY, 3, 4)) {
            one(`?${param.name}=${value.slice(0, 40)}`, {
              path: `${at()}?${param.name}=${value}`,
            })
          }
          one(`?${param.name}[]=a&[]=b`, {
            path: `${at()}?${param.name}[]=a&${param.name}[]=b`,
          })
          one(`?${param.name}[x][y]=1`, { path: `${at()}?${param.name}[x][y]=1` })
          one(`?${param.name} twice`, { path: `${at()}?${param.name}=a&${param.name}=b` })
        }
        one('unknown query parameter with NUL', { path: `${at()}?zz=%00` })

        const jsonSchema = operation.requestBody?.content?.['application/json']?.schema
        const multipart = operation.requestBody?.content?.['multipart/form-data']
        if (method !== 'get' && method !== 'delete') {
          // Every body goes through the one body parser: the worst bodies always, a few others.
          for (const raw of random.draw(RAW_BODIES, 5, operation.requestBody ? 6 : 2)) {
            one(`body: ${raw.what}`, { path: at(), body: raw.body, type: raw.type })
          }
        }
        if (jsonSchema) {
          const valid = sample(document, jsonSchema, '', ids)
          one('a valid body', { path: at(), body: JSON.stringify(valid) })
          // Search text reaches the full-text statistics query: all of it, every time.
          for (const field of ['query', 'question'].filter((name) => name in (valid as object))) {
            for (const text of HOSTILE_TEXT) {
              one(`body ${field}=${JSON.stringify(text).slice(0, 40)}`, {
                path: at(),
                body: JSON.stringify({ ...(valid as object), [field]: text }),
              })
            }
          }
          const targets = leafPaths(valid).filter((p) => p.length)
          for (let i = 0; i < DRAWN_PER_OPERATION; i++) {
            const target = random.pick(targets.length ? targets : [['a']])
            const value = random.pick(HOSTILE_VALUES)
            one(`body ${target.join('.')}=${JSON.stringify(value)?.slice(0, 40)}`, {
              path: at(),
              body: JSON.stringify(withValueAt(valid, target, value)),
            })
          }
          const extra = { ...(valid as object), ['zz\u0000']: 1 }
          one('body with an unknown NUL-named field', {
            path: at(),
            body: JSON.stringify(extra),
          })
        }
        if (multipart) {
          const boundary = 'fuzzboundary'
          const part = (disposition: string, content: string) =>
            `--${boundary}\r\nContent-Disposition: form-data; ${disposition}\r\nContent-Type: text/plain\r\n\r\n${content}\r\n`
          const bodies = [
            part('name="file"; filename="a\u0000b.txt"', 'hello'),
            part('name="file"; filename="notes.txt"', '\u0000\ud800 text'),
            part(`name="${'a[0]'.repeat(200)}"`, 'deep') +
              part('name="file"; filename="n.txt"', 'x'),
            part('name="title"', 'no file at all'),
            part('name="file"; filename="empty.txt"', ''),
            part('name="file"; filename="x.exe"', 'MZ\u0000\u0001'),
          ]
          for (const [n, body] of bodies.entries()) {
            one(`multipart #${n}`, {
              path: at(),
              body: `${body}--${boundary}--\r\n`,
              type: `multipart/form-data; boundary=${boundary}`,
            })
          }
        }
        if (operation.parameters?.some((p: Schema) => p.$ref?.endsWith('Idempotency-Key'))) {
          for (const key of ['', ' ', 'k'.repeat(300), 'ключ', 'a\tb']) {
            one(`Idempotency-Key ${JSON.stringify(key.slice(0, 20))}`, {
              path: at(),
              body: '{}',
              headers: {
                'authorization': `Bearer ${token}`,
                'idempotency-key':
                  encodeURIComponent(key) === key ? key : key.replace(/[^\x20-\x7e]/g, '?'),
              },
            })
          }
        }
        // Authorization itself is input too.
        one('a malformed bearer token', {
          path: at(),
          headers: { authorization: `Bearer ${'x'.repeat(5_000)}` },
        })
      }
    }
    assert.isAbove(operations, 30)

    const { failures, slowest, statuses } = await runAll(cases)
    const seconds = (performance.now() - started) / 1000
    console.log(
      `  fuzz: ${cases.length} requests over ${operations} operations in ${seconds.toFixed(1)} s; ` +
        `slowest ${Math.round(slowest.ms)} ms (${slowest.what.slice(0, 80)}); statuses ${JSON.stringify(statuses)}`
    )
    // Rate limiting would hide what the cases are meant to reach.
    assert.notProperty(statuses, '429')
    assert.deepEqual(failures, [])
  }).timeout(120_000)

  test('the WhatsApp webhook and the web chat routes', async ({ assert, cleanup }) => {
    const random = seeded(SEED + 1)
    const made = await makeWhatsAppTenant('fuzzwa')
    cleanup(made.cleanup)
    const { channel, visitorToken } = await webchatVisitor(made.tenant, '203.0.113.9')
    const cases: Case[] = []

    // The webhook: unsigned, wrongly signed and (with the channel's secret) signed hostile bodies.
    const signed = (what: string, raw: string | Buffer) =>
      cases.push({
        what: `POST /webhooks/whatsapp signed ${what}`,
        method: 'POST',
        path: '/webhooks/whatsapp',
        body: raw,
        headers: { 'x-hub-signature-256': sign(raw, made.appSecret) },
      })
    for (const raw of RAW_BODIES) {
      cases.push({
        what: `POST /webhooks/whatsapp unsigned ${raw.what}`,
        method: 'POST',
        path: '/webhooks/whatsapp',
        body: raw.body,
        type: raw.type,
      })
      signed(raw.what, raw.body)
    }
    const valid = webhook(made, { messages: [messages.text({ from: waId() })] })
    const targets = leafPaths(valid).filter((p) => p.length)
    for (let i = 0; i < 60; i++) {
      const path = random.pick(targets)
      const value = random.pick(HOSTILE_VALUES)
      signed(
        `${path.join('.')}=${JSON.stringify(value)?.slice(0, 40)}`,
        JSON.stringify(withValueAt(valid, path, value))
      )
    }
    for (const query of [
      'hub.mode=subscribe&hub.verify_token=%00&hub.challenge=1',
      `hub.mode=subscribe&hub.verify_token=${made.verifyToken}&hub.challenge=%ED%A0%80`,
      'hub.mode[]=x',
      'hub.challenge=' + 'x'.repeat(4000),
    ]) {
      cases.push({
        what: `GET /webhooks/whatsapp?${query.slice(0, 60)}`,
        method: 'GET',
        path: `/webhooks/whatsapp?${query}`,
      })
    }

    // Web chat: every route, with hostile channel ids, tokens and bodies.
    const routes = [
      ['GET', 'frame'],
      ['GET', 'theme.css'],
      ['GET', 'logo'],
      ['POST', 'sessions'],
      ['GET', 'messages'],
      ['POST', 'messages'],
      ['POST', 'receipts'],
      ['POST', 'stream-tickets'],
      ['GET', 'stream'],
    ] as const
    const visitor = { authorization: `Bearer ${visitorToken}` }
    for (const [method, route] of routes) {
      for (const id of HOSTILE_IDS) {
        cases.push({
          what: `${method} /webchat/${id.slice(0, 30)}/${route}`,
          method,
          path: `/webchat/${id}/${route}`,
          headers: visitor,
        })
      }
      for (const value of HOSTILE_QUERY) {
        const query = route === 'stream' ? 'ticket' : route === 'messages' ? 'after' : 'locale'
        cases.push({
          what: `${method} /webchat/:id/${route}?${query}=${value.slice(0, 30)}`,
          method,
          path: `/webchat/${channel.id}/${route}?${query}=${value}`,
          headers: visitor,
        })
      }
      cases.push({
        what: `${method} /webchat/:id/${route} with a hostile token`,
        method,
        path: `/webchat/${channel.id}/${route}`,
        headers: { authorization: 'Bearer wcv_%00' },
      })
      if (method === 'POST') {
        for (const raw of RAW_BODIES) {
          cases.push({
            what: `POST /webchat/:id/${route} body: ${raw.what}`,
            method,
            path: `/webchat/${channel.id}/${route}`,
            body: raw.body,
            type: raw.type,
            headers: visitor,
          })
        }
        const base: Record<string, unknown> =
          route === 'messages'
            ? { text: 'Hello', clientId: randomUUID() }
            : route === 'receipts'
              ? { status: 'read', upTo: '1' }
              : route === 'sessions'
                ? { name: 'Layla', email: 'layla@example.com', locale: 'en' }
                : {}
        const fields = Object.keys(base).length ? Object.keys(base) : ['x']
        for (let i = 0; i < 12; i++) {
          const field = random.pick(fields)
          const value = random.pick(HOSTILE_VALUES)
          cases.push({
            what: `POST /webchat/:id/${route} ${field}=${JSON.stringify(value)?.slice(0, 40)}`,
            method,
            path: `/webchat/${channel.id}/${route}`,
            body: JSON.stringify({
              ...base,
              [field]: value,
              ...(route === 'messages' ? { clientId: randomUUID() } : {}),
            }),
            headers: visitor,
          })
        }
      }
    }
    cases.push({
      what: 'GET /webchat/widget.js?x=%00',
      method: 'GET',
      path: '/webchat/widget.js?x=%00',
    })

    const { failures, slowest } = await runAll(cases)
    console.log(
      `  fuzz: ${cases.length} webhook and web chat requests; slowest ${Math.round(slowest.ms)} ms (${slowest.what.slice(0, 80)})`
    )
    assert.deepEqual(failures, [])
  }).timeout(120_000)
})
