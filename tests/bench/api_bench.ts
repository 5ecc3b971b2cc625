/*
| npm run bench:api
|
| The REST API's two busiest calls, on the native PostgreSQL at
| BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/flomastr_api_bench,
| recreated for the run) and Redis at REDIS_URL under the queue prefix
| BENCH_QUEUE_PREFIX (default flomastr-bench-api, flushed at start and end).
|
| As bench:ingest does, it runs the app as production runs it: `node ace
| build`, then one APP_ROLE=web and one APP_ROLE=worker process from build/
| with NODE_ENV=production and LOG_LEVEL=warn; the tenant, its WhatsApp
| number and the API key are made with the ace commands an operator uses.
| BENCH_CONVERSATIONS (default 2000) customers who wrote within the hour
| are loaded straight into the tenant's schema. Then, each with
| BENCH_CONCURRENCY (default 32) requests in flight on keep-alive sockets:
|
|   1. GET  /api/v1/conversations?limit=25   BENCH_REQUESTS (default 3000) times,
|      a quarter of them walking on with the previous page's cursor
|   2. POST /api/v1/messages                 BENCH_REQUESTS times: a text to a
|      different customer each time, each with its own Idempotency-Key
|
| and prints requests per second and the response-time distribution (p50,
| p95, p99). The worker delivers the sends to a local stand-in for the
| Graph API; the bench waits (at most BENCH_WAIT_MS, default 120000) until
| every accepted message reached it exactly once, else it fails. The key's
| rate limit is lifted (API_REQUESTS_PER_MINUTE) so the server, not the
| limiter's budget, is measured; the limiter itself still runs.
| BENCH_WEB_NODE_ARGS / BENCH_WORKER_NODE_ARGS add node flags (e.g.
| "--cpu-prof --cpu-prof-dir=../tmp/bench-api"; the processes run in build/).
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomInt, randomUUID } from 'node:crypto'
import { createWriteStream, mkdirSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { Redis } from 'ioredis'
import {
  APP_ROOT,
  ace,
  aceJson,
  appKey,
  flushQueuePrefix,
  freePort,
  percentile,
  positive,
  recreateDatabase,
} from './bench_support.js'

const LOG_DIR = `${APP_ROOT}tmp/bench-api`
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_api_bench'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const QUEUE_PREFIX = process.env.BENCH_QUEUE_PREFIX ?? 'flomastr-bench-api'
const REQUESTS = positive('BENCH_REQUESTS', 3000)
const CONCURRENCY = positive('BENCH_CONCURRENCY', 32)
const CONVERSATIONS = positive('BENCH_CONVERSATIONS', 2000)
const WAIT_MS = positive('BENCH_WAIT_MS', 120_000)

/* ------------------------------------------------------------------ processes */

let port = 0
let graphUrl = ''
const children = new Set<ChildProcess>()

/** The environment `node ace` runs in for the bench. */
function aceEnv() {
  return childEnv({ APP_ROLE: 'web' })
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX,
    HOST: '127.0.0.1',
    PORT: String(port),
    WHATSAPP_GRAPH_URL: graphUrl,
    API_REQUESTS_PER_MINUTE: '100000000',
    ...extra,
  }
  delete env.EMBEDDED_DB_DIR
  return env
}

/** A production process from build/; its output goes to tmp/bench-api/<role>.log. */
function startProcess(role: 'web' | 'worker') {
  const log = createWriteStream(`${LOG_DIR}/${role}.log`)
  const extra = (process.env[`BENCH_${role.toUpperCase()}_NODE_ARGS`] ?? '').split(/\s+/)
  const child = spawn(process.execPath, [...extra.filter(Boolean), 'bin/server.js'], {
    cwd: `${APP_ROOT}build`,
    env: childEnv({
      APP_ROLE: role,
      NODE_ENV: 'production',
      APP_KEY: appKey(),
      APP_URL: `http://127.0.0.1:${port}`,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

async function waitForHealth(child: ChildProcess, ms = 90_000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the web process exited during start')
    const ok = await fetch(`http://127.0.0.1:${port}/health`)
      .then((response) => response.ok)
      .catch(() => false)
    if (ok) return
    await sleep(250)
  }
  throw new Error(`GET /health not 200 within ${ms} ms`)
}

/**
 * The Graph API's send endpoint as the worker meets it: every POST
 * /<phone-number-id>/messages answers a fresh wamid; the recipients are
 * counted to check each accepted message went out exactly once.
 */
function startGraph() {
  const sends = new Map<string, number>()
  const server = http.createServer((incoming, response) => {
    let raw = ''
    incoming.on('data', (chunk) => (raw += chunk))
    incoming.on('end', () => {
      let to = ''
      let text = ''
      try {
        const body = JSON.parse(raw)
        to = String(body.to ?? '')
        text = String(body.text?.body ?? '')
      } catch {
        // Not a send: answered alike.
      }
      if (text) sends.set(text, (sends.get(text) ?? 0) + 1)
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({
          messaging_product: 'whatsapp',
          contacts: [{ input: to, wa_id: to }],
          messages: [{ id: `wamid.BENCH${randomBytes(12).toString('hex')}` }],
        })
      )
    })
  })
  return new Promise<{ server: http.Server; sends: Map<string, number> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port: graphPort } = server.address() as AddressInfo
      graphUrl = `http://127.0.0.1:${graphPort}/v21.0`
      resolve({ server, sends })
    })
  })
}

/* ------------------------------------------------------------------ load */

interface Call {
  method: 'GET' | 'POST'
  path: string
  body?: string
  headers?: Record<string, string>
}

interface Answer {
  status: number
  ms: number
  body: string
}

/**
 * Runs `count` calls made by `next(i)` with CONCURRENCY in flight (a closed
 * loop: each connection sends its next request when the previous answered).
 */
async function load(count: number, token: string, next: (i: number) => Promise<Call> | Call) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const answers: Answer[] = []
  let issued = 0
  const start = performance.now()
  const lane = async () => {
    while (issued < count) {
      const call = await next(issued++)
      answers.push(await request(agent, token, call))
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane))
  const wallMs = performance.now() - start
  agent.destroy()
  return { answers, wallMs }
}

function request(agent: http.Agent, token: string, call: Call) {
  return new Promise<Answer>((resolve) => {
    const t0 = performance.now()
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${token}`,
      ...call.headers,
    }
    if (call.body) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = Buffer.byteLength(call.body)
    }
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: call.method,
        path: call.path,
        headers,
        timeout: 30_000,
      },
      (res) => {
        let body = ''
        res.on('data', (chunk) => (body += chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body })
        )
      }
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0, body: '' }))
    req.end(call.body)
  })
}

function report(name: string, run: { answers: Answer[]; wallMs: number }, expected: number) {
  const ok = run.answers.filter((answer) => answer.status === expected)
  const others = new Map<number, number>()
  for (const answer of run.answers) {
    if (answer.status !== expected) others.set(answer.status, (others.get(answer.status) ?? 0) + 1)
  }
  const sorted = run.answers.map((answer) => answer.ms).sort((a, b) => a - b)
  const ms = (value: number) => `${value.toFixed(1)} ms`
  console.log(`${name}`)
  console.log(
    `  ${run.answers.length} requests in ${(run.wallMs / 1000).toFixed(1)} s: ${(run.answers.length / (run.wallMs / 1000)).toFixed(0)} requests/s`
  )
  console.log(
    `  response time  p50 ${ms(percentile(sorted, 50))}  p95 ${ms(percentile(sorted, 95))}  p99 ${ms(percentile(sorted, 99))}  max ${ms(sorted.at(-1) ?? Number.NaN)}`
  )
  const unexpected = [...others].map(([status, n]) => `${status || 'error'}: ${n}`).join(', ')
  console.log(`  ${expected}: ${ok.length}${unexpected ? `  OTHER: ${unexpected}` : ''}\n`)
  return ok.length === run.answers.length
}

/* ------------------------------------------------------------------ setup */

/** Customers who wrote within the hour (the 24-hour window open), each with an open conversation. */
async function seed(db: pg.Client, schema: string, channelId: string) {
  await db.query(
    `with made as (
       insert into ${schema}.contacts (phone, wa_id, name, source, opt_in)
       select '+1555' || lpad(n::text, 7, '0'), '1555' || lpad(n::text, 7, '0'),
              'Customer ' || n, 'whatsapp', 'unknown'
         from generate_series(1, $1::int) n
       returning id)
     insert into ${schema}.conversations
       (contact_id, channel_id, status, labels, last_customer_message_at, last_message_at, updated_at)
     select id, $2::uuid, 'open', array['bench'], now() - interval '10 minutes',
            now() - interval '10 minutes', now() - random() * interval '1 hour'
       from made`,
    [CONVERSATIONS, channelId]
  )
  const rows = await db.query(`select id from ${schema}.contacts order by phone`)
  return rows.rows.map((row) => row.id as string)
}

/* ------------------------------------------------------------------ main */

async function main() {
  mkdirSync(LOG_DIR, { recursive: true })
  port = await freePort()
  const graph = await startGraph()
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true })
  await redis.connect()
  let db: pg.Client | null = null
  let failed = false
  try {
    await flushQueuePrefix(redis, QUEUE_PREFIX)
    await recreateDatabase(DATABASE_URL)
    const built = await ace(['build'], aceEnv())
    if (built.status !== 0)
      throw new Error(`node ace build failed:\n${built.stdout}${built.stderr}`)
    const migrated = await ace(['migration:run', '--force'], aceEnv())
    if (migrated.status !== 0) throw new Error(`migration:run failed:\n${migrated.stderr}`)
    const tenant = await aceJson(
      [
        'tenants:create',
        '--slug',
        'api-bench',
        '--name',
        'API Bench',
        '--owner-email',
        'owner@api-bench.test',
        '--owner-password',
        'bench-pass-1234',
      ],
      aceEnv()
    )
    const added = await aceJson(
      [
        'channels:add-whatsapp',
        '--tenant',
        tenant.slug,
        '--phone-number-id',
        `1${randomInt(1e9, 9e9)}${randomInt(1e4, 9e4)}`,
        '--waba-id',
        `2${randomInt(1e9, 9e9)}`,
        '--display-number',
        '+15550001234',
        '--access-token',
        'bench-access-token',
        '--app-secret',
        randomBytes(16).toString('hex'),
        '--verify-token',
        `verify-${randomBytes(6).toString('hex')}`,
      ],
      aceEnv()
    )
    const { token } = await aceJson(
      ['apikeys:create', '--tenant', tenant.slug, '--name', 'bench'],
      aceEnv()
    )
    const schema = String(tenant.schema)
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`unexpected schema "${schema}"`)

    db = new pg.Client({ connectionString: DATABASE_URL })
    await db.connect()
    const contacts = await seed(db, schema, added.id)

    const web = startProcess('web')
    startProcess('worker')
    await waitForHealth(web)

    console.log(
      `\nbench:api — 1 web + 1 worker process (NODE_ENV=production, LOG_LEVEL=warn), native PostgreSQL, ${CONVERSATIONS} conversations, ${CONCURRENCY} requests in flight\n`
    )

    // Warm-up: the first requests load code and fill connection pools.
    await load(100, token, () => ({ method: 'GET', path: '/api/v1/conversations?limit=25' }))

    const first = await fetch(`http://127.0.0.1:${port}/api/v1/conversations?limit=25`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const cursor = ((await first.json()) as { next_cursor: string }).next_cursor
    const lists = await load(REQUESTS, token, (i) => ({
      method: 'GET',
      path: `/api/v1/conversations?limit=25${i % 4 === 3 ? `&cursor=${cursor}` : ''}`,
    }))
    const listsOk = report('GET /api/v1/conversations?limit=25', lists, 200)

    const run = randomBytes(4).toString('hex')
    const sends = await load(REQUESTS, token, (i) => ({
      method: 'POST',
      path: '/api/v1/messages',
      headers: { 'Idempotency-Key': randomUUID() },
      body: JSON.stringify({
        channel_id: added.id,
        contact_id: contacts[i % contacts.length],
        type: 'text',
        text: `bench ${run} #${i}: your policy renews on 1 May`,
      }),
    }))
    const sendsOk = report('POST /api/v1/messages (text, Idempotency-Key)', sends, 202)

    const accepted = sends.answers.filter((answer) => answer.status === 202).length
    const waitStart = Date.now()
    while ([...graph.sends.keys()].filter((text) => text.includes(run)).length < accepted) {
      if (Date.now() - waitStart > WAIT_MS) break
      await sleep(250)
    }
    const delivered = [...graph.sends.entries()].filter(([text]) => text.includes(run))
    const twice = delivered.filter(([, n]) => n > 1).length
    console.log(
      `delivery: ${delivered.length}/${accepted} accepted messages reached the Graph API in ${((Date.now() - waitStart) / 1000).toFixed(1)} s after the last answer, ${twice} more than once`
    )
    console.log(`process logs: ${LOG_DIR}/`)
    failed = !listsOk || !sendsOk || delivered.length !== accepted || twice > 0
    if (failed)
      console.log('\n!!! FAILED: unexpected answers, or messages not sent exactly once !!!')
  } catch (error) {
    failed = true
    console.error(`bench:api failed: ${(error as Error).stack ?? error}`)
  } finally {
    await db?.end().catch(() => {})
    // A graceful stop (up to 10 s) lets --cpu-prof write its profile.
    const exits = [...children].map(
      (child) => new Promise((resolve) => child.once('exit', resolve))
    )
    for (const child of children) child.kill('SIGTERM')
    await Promise.race([Promise.all(exits), sleep(10_000)])
    for (const child of children) child.kill('SIGKILL')
    graph.server.close()
    await recreateDatabase(DATABASE_URL, true).catch((error) =>
      console.error(`could not drop the bench database: ${error.message}`)
    )
    await flushQueuePrefix(redis, QUEUE_PREFIX).catch(() => {})
    redis.disconnect()
  }
  return failed ? 1 : 0
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL')
    process.exit(130)
  })
}

process.exit(await main())
