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
| each against the app and against the floor (api_floor.ts: plain node:http
| and pg doing the same key check, tenant lookup, keyset page, insert and
| job, with the app's pool size DB_POOL_MAX), alternating in BENCH_ROUNDS
| (default 3) rounds so both meet the same load from whatever else runs on
| the machine. It prints requests per second and the response-time
| distribution (p50, p95, p99) of each, and the app's rate as a share of
| the floor's (targets: reads 0.5, sends 0.3). Then a worker starts (not
| before: the floor's jobs have none either) and delivers the app's sends
| to a local stand-in for the Graph API; the bench waits (at most BENCH_WAIT_MS, default 300000) until
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
import { loadavg } from 'node:os'
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
  waitForHealth,
} from './bench_support.js'
import { RawConnection, rawRequest } from './raw_http.js'

const LOG_DIR = `${APP_ROOT}tmp/bench-api`
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_api_bench'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const QUEUE_PREFIX = process.env.BENCH_QUEUE_PREFIX ?? 'flomastr-bench-api'
const REQUESTS = positive('BENCH_REQUESTS', 3000)
const CONCURRENCY = positive('BENCH_CONCURRENCY', 32)
const CONVERSATIONS = positive('BENCH_CONVERSATIONS', 2000)
const WAIT_MS = positive('BENCH_WAIT_MS', 300_000)
const ROUNDS = positive('BENCH_ROUNDS', 3)
/** The app's pool size (config/database.ts), given to the floor too. */
const POOL_MAX = positive('DB_POOL_MAX', 10)

/* ------------------------------------------------------------------ processes */

let port = 0
let floorPort = 0
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
    DB_POOL_MAX: String(POOL_MAX),
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

/** The floor server (api_floor.ts), ready to answer. */
async function startFloor() {
  floorPort = await freePort()
  const log = createWriteStream(`${LOG_DIR}/floor.log`)
  const child = spawn(
    process.execPath,
    [
      '--import=ts-node-maintained/register/esm',
      '--disable-warning=ExperimentalWarning',
      'tests/bench/api_floor.ts',
    ],
    {
      cwd: APP_ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        DATABASE_URL,
        REDIS_URL,
        QUEUE_PREFIX,
        FLOOR_PORT: String(floorPort),
        FLOOR_POOL_MAX: String(POOL_MAX),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  child.stderr!.pipe(log)
  children.add(child)
  child.on('exit', () => children.delete(child))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      log.write(chunk)
      if (String(chunk).includes('listening')) resolve()
    })
    child.once('exit', () => reject(new Error(`the floor server exited; see ${LOG_DIR}/floor.log`)))
  })
  return child
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

interface Answer {
  status: number
  ms: number
}

interface Run {
  answers: Answer[]
  wallMs: number
}

/**
 * Runs `count` requests made by `next(i)` against the server on `target`
 * with CONCURRENCY in flight (a closed loop: each connection sends its next
 * request when the previous answered), on the lean client of raw_http.ts
 * so the load generator takes as little of the shared cores as it can.
 */
async function load(target: number, count: number, next: (i: number) => Buffer): Promise<Run> {
  const connections = Array.from(
    { length: CONCURRENCY },
    () => new RawConnection('127.0.0.1', target)
  )
  await Promise.all(connections.map((connection) => connection.open()))
  const watchdog = setInterval(() => {
    const now = performance.now()
    for (const connection of connections) {
      if (connection.sentAt && now - connection.sentAt > 30_000) connection.abort()
    }
  }, 1000)
  const answers: Answer[] = []
  let issued = 0
  const start = performance.now()
  const lane = async (connection: RawConnection) => {
    while (issued < count) {
      const request = next(issued++)
      const t0 = performance.now()
      const status = await connection.send(request)
      answers.push({ status, ms: performance.now() - t0 })
    }
  }
  await Promise.all(connections.map(lane))
  const wallMs = performance.now() - start
  clearInterval(watchdog)
  for (const connection of connections) connection.close()
  return { answers, wallMs }
}

/** Runs taken in several rounds, as one. */
function joined(runs: Run[]): Run {
  return {
    answers: runs.flatMap((run) => run.answers),
    wallMs: runs.reduce((sum, run) => sum + run.wallMs, 0),
  }
}

const rate = (run: Run) => run.answers.length / (run.wallMs / 1000)

function report(name: string, run: Run, expected: number) {
  const others = new Map<number, number>()
  for (const answer of run.answers) {
    if (answer.status !== expected) others.set(answer.status, (others.get(answer.status) ?? 0) + 1)
  }
  const sorted = run.answers.map((answer) => answer.ms).sort((a, b) => a - b)
  const ms = (value: number) => `${value.toFixed(1)} ms`
  const unexpected = [...others].map(([status, n]) => `${status || 'error'}: ${n}`).join(', ')
  console.log(
    `  ${name.padEnd(6)} ${rate(run).toFixed(0).padStart(5)} requests/s   p50 ${ms(percentile(sorted, 50))}  p95 ${ms(percentile(sorted, 95))}  p99 ${ms(percentile(sorted, 99))}  max ${ms(sorted.at(-1) ?? Number.NaN)}   (${run.answers.length} requests${unexpected ? `; OTHER THAN ${expected}: ${unexpected}` : ''})`
  )
  return others.size === 0
}

/**
 * The same calls on the app and on the floor, alternating in ROUNDS rounds
 * (so both meet the same share of whatever else runs on the machine), then
 * each one's figures and the app's rate as a share of the floor's.
 */
async function compare(
  title: string,
  expected: number,
  target: number,
  request: (port: number, i: number) => Buffer
) {
  const app: Run[] = []
  const bare: Run[] = []
  const perRound = Math.ceil(REQUESTS / ROUNDS)
  let offset = 0
  for (let round = 0; round < ROUNDS; round++) {
    const from = offset
    app.push(await load(port, perRound, (i) => request(port, from + i)))
    bare.push(await load(floorPort, perRound, (i) => request(floorPort, from + i)))
    offset += perRound
  }
  console.log(title)
  const appOk = report('app', joined(app), expected)
  const floorOk = report('floor', joined(bare), expected)
  const ratios = app.map((run, i) => (rate(run) / rate(bare[i])).toFixed(2)).join(', ')
  const ratio = rate(joined(app)) / rate(joined(bare))
  console.log(
    `  ratio  ${ratio.toFixed(2)} of the floor (target ${target}; rounds: ${ratios})  ${ratio >= target ? 'MET' : 'NOT MET'}\n`
  )
  return appOk && floorOk
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
    await waitForHealth(web, port)

    console.log(
      `\nbench:api — 1 web + 1 worker process (NODE_ENV=production, LOG_LEVEL=warn) beside the floor (tests/bench/api_floor.ts), native PostgreSQL, pool ${POOL_MAX} each, ${CONVERSATIONS} conversations, ${CONCURRENCY} requests in flight, ${REQUESTS} requests per call and server in ${ROUNDS} alternating rounds; load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}\n`
    )

    const floor = await startFloor()
    const auth = { Authorization: `Bearer ${token}`, Host: '127.0.0.1' }
    const listCall = (cursor?: string) =>
      rawRequest('GET', `/api/v1/conversations?limit=25${cursor ? `&cursor=${cursor}` : ''}`, auth)

    // Warm-up: the first requests load code and fill connection pools.
    await load(port, 200, () => listCall())
    await load(floorPort, 200, () => listCall())

    const first = await fetch(`http://127.0.0.1:${port}/api/v1/conversations?limit=25`, {
      headers: { authorization: `Bearer ${token}` },
    })
    const cursor = ((await first.json()) as { next_cursor: string }).next_cursor
    const listsOk = await compare('GET /api/v1/conversations?limit=25', 200, 0.5, (_, i) =>
      listCall(i % 4 === 3 ? cursor : undefined)
    )

    const run = randomBytes(4).toString('hex')
    const appSends: string[] = []
    const sendsOk = await compare(
      'POST /api/v1/messages (text, Idempotency-Key)',
      202,
      0.3,
      (target, i) => {
        const text = `bench ${target === port ? run : 'floor'} #${i}: your policy renews on 1 May`
        if (target === port) appSends.push(text)
        return rawRequest(
          'POST',
          '/api/v1/messages',
          { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
          JSON.stringify({
            channel_id: added.id,
            contact_id: contacts[i % contacts.length],
            type: 'text',
            text,
          })
        )
      }
    )
    floor.kill('SIGTERM')
    // The worker starts only now: while the sends were timed it would have
    // taken the cores from the web process, and the floor's jobs have no
    // worker either, so the two are timed doing the same work.
    startProcess('worker')

    const accepted = appSends.length
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
