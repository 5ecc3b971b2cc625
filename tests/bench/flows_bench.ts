/*
| npm run bench:flows
|
| BENCH_SESSIONS (default 10000) customers running one guided flow at once,
| on the native PostgreSQL at BENCH_DATABASE_URL (default postgres://
| postgres@127.0.0.1:5432/flomastr_flows_bench, recreated) and Redis at
| REDIS_URL under BENCH_QUEUE_PREFIX (flushed at start and end), against the
| local Graph API server in this process.
|
| The app runs as production runs it (`node ace build`; BENCH_SKIP_BUILD=1
| reuses build/): one APP_ROLE=web process taking Meta's webhooks and
| BENCH_WORKERS (default 1) APP_ROLE=worker processes (QUEUE_CONCURRENCY =
| BENCH_CONCURRENCY, default 32). The published flow: a keyword "join"
| starts it; it asks the customer's name (a question step), thanks them by
| name with three reply buttons (a message step waiting for a pick), and
| ends with a closing text once they pick. Three rounds, each every
| customer at once (BENCH_POSTERS, default 64, webhooks in flight):
|
|   start   10,000 "join" messages   -> the name question
|   answer  10,000 names             -> "Thanks <name>" with buttons
|   pick    10,000 button replies    -> the closing text
|
| A step's latency is from the webhook's POST leaving this process to the
| step's message reaching Graph (the whole path: signature check, inbound
| job, the flow's move, its due row, the send job, the Graph call). Per
| round it prints p50, p95, p99 and max, the throughput (steps per second,
| first POST to last message at Graph), misses and duplicates.
|
| The floor, in the same run: this process doing each answer's work
| plainly over the same webhooks: a bare HTTP server that checks the
| signature, stores the message, moves the session and stores the reply in
| one transaction (three statements) and calls Graph. Its throughput, and
| the app's as a share of it.
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { createWriteStream, mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { Redis } from 'ioredis'
import { FakeGraphServer } from '#tests/helpers/fake_graph_server'
import {
  APP_ROOT,
  ace,
  appKey,
  benchWhatsAppTenant,
  flushQueuePrefix,
  freePort,
  percentile,
  positive,
  recreateDatabase,
  waitForHealth,
} from './bench_support.js'

const LOG_DIR = `${APP_ROOT}tmp/bench-flows`
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_flows_bench'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const QUEUE_PREFIX = process.env.BENCH_QUEUE_PREFIX ?? 'flomastr-bench-flows'
const SESSIONS = positive('BENCH_SESSIONS', 10_000)
const WORKERS = positive('BENCH_WORKERS', 1)
const CONCURRENCY = positive('BENCH_CONCURRENCY', 32)
const POSTERS = positive('BENCH_POSTERS', 64)
const ROUND_LIMIT_MS = positive('BENCH_ROUND_LIMIT_S', 600) * 1000
const SECRET = 'bench-secret'

let port = 0
let graphUrl = ''
const children = new Set<ChildProcess>()

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX,
    HOST: '127.0.0.1',
    PORT: String(port),
    WHATSAPP_GRAPH_URL: graphUrl,
    ...extra,
  }
  delete out.EMBEDDED_DB_DIR
  return out
}

function start(role: 'web' | 'worker', name: string) {
  const log = createWriteStream(`${LOG_DIR}/${name}.log`)
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${LOG_DIR}`, `--cpu-prof-name=${name}.cpuprofile`]
    : []
  const child = spawn(process.execPath, [...profile, 'bin/server.js'], {
    cwd: `${APP_ROOT}build`,
    env: env({
      NODE_ENV: 'production',
      APP_ROLE: role,
      APP_KEY: appKey(),
      APP_URL: `http://127.0.0.1:${port}`,
      QUEUE_CONCURRENCY: String(CONCURRENCY),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

/** The flow every customer runs: join -> name? -> thanks + 3 buttons -> closing text. */
const GRAPH = {
  nodes: [
    {
      id: 'ask_name',
      type: 'question',
      position: { x: 0, y: 0 },
      data: { text: 'Welcome! What is your name?', kind: 'text', variable: 'name' },
    },
    {
      id: 'pick_plan',
      type: 'message',
      position: { x: 240, y: 0 },
      data: {
        text: 'Thanks {{name}}. Which plan interests you?',
        buttons: [
          { id: 'basic', title: 'Basic' },
          { id: 'plus', title: 'Plus' },
          { id: 'family', title: 'Family' },
        ],
      },
    },
    {
      id: 'done',
      type: 'end',
      position: { x: 480, y: 0 },
      data: { text: 'Noted, {{name}}. An adviser will write to you today.' },
    },
  ],
  edges: [
    { from: 'ask_name', port: 'next', to: 'pick_plan' },
    { from: 'pick_plan', port: 'next', to: 'done' },
    { from: 'pick_plan', port: 'fallback', to: 'done' },
  ],
}

async function prepare(db: pg.Client, graph: FakeGraphServer) {
  const tenant = await benchWhatsAppTenant(db, graph, env(), {
    slug: 'flows-bench',
    name: 'Flows',
    // A rate the Graph server takes: the flow's path, not WhatsApp's pacing, is measured.
    messagesPerSecond: 5000,
    template: { name: 'hello', category: 'UTILITY', body: 'Hello {{1}}', variables: 1 },
  })
  const { schema } = tenant
  const flow = await db.query(
    `insert into ${schema}.flows (name, status, graph, triggers)
     values ('Bench intake', 'published', $1::jsonb, $2::jsonb) returning id`,
    [JSON.stringify(GRAPH), JSON.stringify({ keywords: ['join'] })]
  )
  const version = await db.query(
    `insert into ${schema}.flow_versions (flow_id, version, graph, published_at)
     values ($1, 1, $2::jsonb, now()) returning id`,
    [flow.rows[0].id, JSON.stringify(GRAPH)]
  )
  await db.query(`update ${schema}.flows set published_version_id = $1 where id = $2`, [
    version.rows[0].id,
    flow.rows[0].id,
  ])
  return tenant
}

function phoneOf(n: number) {
  return `9715${String(n).padStart(8, '0')}`
}

let wamidSeq = 0
/** One customer's message as Meta's webhook carries it (text, or a reply button's pick). */
function webhookBody(
  tenant: { phoneNumberId: string; wabaId: string },
  from: string,
  content: { text: string } | { button: { id: string; title: string } }
) {
  const message: Record<string, unknown> = {
    from,
    id: `wamid.bench${++wamidSeq}`,
    timestamp: String(Math.floor(Date.now() / 1000)),
  }
  if ('text' in content) {
    message.type = 'text'
    message.text = { body: content.text }
  } else {
    message.type = 'interactive'
    message.interactive = { type: 'button_reply', button_reply: content.button }
  }
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: tenant.wabaId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: '15550001234',
                phone_number_id: tenant.phoneNumberId,
              },
              contacts: [{ profile: { name: `Client ${from.slice(-5)}` }, wa_id: from }],
              messages: [message],
            },
          },
        ],
      },
    ],
  })
}

function sign(raw: string) {
  return `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`
}

/** POSTs every body at `url` with POSTERS in flight; the time each left, by index. */
async function postAll(url: string, bodies: string[]) {
  const sentAt = new Array<number>(bodies.length)
  let next = 0
  let refused = 0
  await Promise.all(
    Array.from({ length: POSTERS }, async () => {
      while (next < bodies.length) {
        const index = next++
        const raw = bodies[index]
        sentAt[index] = Date.now()
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw) },
          body: raw,
        })
        await response.arrayBuffer()
        if (response.status !== 200) refused++
      }
    })
  )
  return { sentAt, refused }
}

interface RoundResult {
  name: string
  latencies: number[]
  seconds: number
  misses: number
  duplicates: number
  refused: number
}

/**
 * One round: every customer's webhook at once; waits until Graph has the
 * message `expect` (a predicate on the send's body) for each, or the limit.
 */
async function round(
  name: string,
  graph: FakeGraphServer,
  url: string,
  bodies: string[],
  phones: string[],
  expect: (body: any) => boolean
): Promise<RoundResult> {
  const already = graph.calls.length
  const started = Date.now()
  const { sentAt, refused } = await postAll(url, bodies)
  const deadline = started + ROUND_LIMIT_MS
  const wanted = new Set(phones)
  const firstAt = new Map<string, number>()
  let duplicates = 0
  let seen = already
  const collect = () => {
    const calls = graph.calls
    for (; seen < calls.length; seen++) {
      const call = calls[seen]
      if (call.method !== 'POST' || !call.path.endsWith('/messages')) continue
      const to = String(call.body?.to ?? '').replace(/\D/g, '')
      if (!wanted.has(to) || !expect(call.body)) continue
      if (firstAt.has(to)) duplicates++
      else firstAt.set(to, call.at)
    }
  }
  while (Date.now() < deadline) {
    collect()
    if (firstAt.size >= phones.length) break
    await sleep(200)
  }
  // Late duplicates: a second copy of a step's message a little after the first.
  await sleep(2000)
  collect()
  const latencies: number[] = []
  let last = started
  phones.forEach((phone, index) => {
    const at = firstAt.get(phone)
    if (at === undefined) return
    latencies.push(at - sentAt[index])
    last = Math.max(last, at)
  })
  latencies.sort((a, b) => a - b)
  return {
    name,
    latencies,
    seconds: (last - started) / 1000,
    misses: phones.length - firstAt.size,
    duplicates,
    refused,
  }
}

/** The floor: each answer's work done plainly by a bare HTTP server in this process. */
async function floor(
  graph: FakeGraphServer,
  phoneNumberId: string,
  bodies: string[],
  phones: string[]
) {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: CONCURRENCY })
  await pool.query(`drop table if exists floor_sessions, floor_messages`)
  await pool.query(
    `create table floor_sessions (phone text primary key, node text not null, variables jsonb not null default '{}', step_no int not null default 0)`
  )
  await pool.query(
    `create table floor_messages (id bigserial primary key, phone text not null, direction text not null, wamid text unique, body text not null, created_at timestamptz not null default now())`
  )
  await pool.query(
    `insert into floor_sessions (phone, node) select unnest($1::text[]), 'ask_name'`,
    [phones]
  )
  const sendUrl = `${graphUrl}/${phoneNumberId}/messages`
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      if (request.headers['x-hub-signature-256'] !== sign(raw)) {
        response.writeHead(401).end()
        return
      }
      response.writeHead(200).end('ok')
      const message = JSON.parse(raw).entry[0].changes[0].value.messages[0]
      const text = `Thanks ${message.text.body}. Which plan interests you?`
      const client = await pool.connect()
      try {
        await client.query('begin')
        await client.query(
          `insert into floor_messages (phone, direction, wamid, body) values ($1, 'inbound', $2, $3)`,
          [message.from, message.id, message.text.body]
        )
        await client.query(
          `update floor_sessions set node = 'pick_plan', variables = jsonb_build_object('name', $2::text), step_no = step_no + 1 where phone = $1`,
          [message.from, message.text.body]
        )
        await client.query(
          `insert into floor_messages (phone, direction, body) values ($1, 'outbound', $2)`,
          [message.from, text]
        )
        await client.query('commit')
      } finally {
        client.release()
      }
      const sent = await fetch(sendUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'authorization': 'Bearer bench-token' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          to: message.from,
          type: 'text',
          text: { body: text },
        }),
      })
      await sent.arrayBuffer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  try {
    return await round('floor', graph, url, bodies, phones, (body) =>
      String(body?.text?.body ?? '').startsWith('Thanks')
    )
  } finally {
    server.close()
    await pool.query(`drop table if exists floor_sessions, floor_messages`)
    await pool.end()
  }
}

function report(result: RoundResult, floorResult?: RoundResult) {
  const ms = (value: number) => `${Math.round(value)} ms`
  const l = result.latencies
  const rate = l.length / result.seconds
  console.log(
    `  ${result.name.padEnd(6)} ${l.length} steps in ${result.seconds.toFixed(1)} s = ${rate.toFixed(0)}/s; latency p50 ${ms(percentile(l, 50))}, p95 ${ms(percentile(l, 95))}, p99 ${ms(percentile(l, 99))}, max ${ms(l[l.length - 1] ?? Number.NaN)}; misses ${result.misses}, duplicates ${result.duplicates}, webhooks refused ${result.refused}` +
      (floorResult
        ? `; ${((100 * rate) / (floorResult.latencies.length / floorResult.seconds)).toFixed(1)}% of the floor's rate`
        : '')
  )
  return rate
}

async function main() {
  mkdirSync(LOG_DIR, { recursive: true })
  port = await freePort()
  const graph = await new FakeGraphServer().start()
  graphUrl = graph.url
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true })
  await redis.connect()
  let db: pg.Client | null = null
  let failed = false
  try {
    await flushQueuePrefix(redis, QUEUE_PREFIX)
    await recreateDatabase(DATABASE_URL)
    if (!process.env.BENCH_SKIP_BUILD) {
      const built = await ace(['build'], env())
      if (built.status !== 0)
        throw new Error(`node ace build failed:\n${built.stdout}${built.stderr}`)
    }
    const migrated = await ace(['migration:run', '--force'], env())
    if (migrated.status !== 0) throw new Error(`migration:run failed:\n${migrated.stderr}`)
    db = new pg.Client({ connectionString: DATABASE_URL })
    await db.connect()
    const tenant = await prepare(db, graph)
    const web = start('web', 'web')
    await waitForHealth(web, port)
    for (let i = 1; i <= WORKERS; i++) start('worker', `worker-${i}`)
    // Workers are ready when they have synced the channel's templates from Graph.
    await sleep(8000)
    console.log(
      `bench:flows — ${SESSIONS} customers in one flow at once, 1 web + ${WORKERS} worker process(es) (queue concurrency ${CONCURRENCY}), ${POSTERS} webhooks in flight, native PostgreSQL, local Graph server`
    )
    const phones = Array.from({ length: SESSIONS }, (_, i) => phoneOf(i + 1))
    const url = `http://127.0.0.1:${port}/webhooks/whatsapp`
    const rounds: RoundResult[] = []
    rounds.push(
      await round(
        'start',
        graph,
        url,
        phones.map((p) => webhookBody(tenant, p, { text: 'join' })),
        phones,
        (body) => String(body?.text?.body ?? '').startsWith('Welcome!')
      )
    )
    const names = phones.map((p) => `Client ${p.slice(-5)}`)
    const answers = phones.map((p, i) => webhookBody(tenant, p, { text: names[i] }))
    rounds.push(
      await round('answer', graph, url, answers, phones, (body) =>
        String(body?.interactive?.body?.text ?? '').startsWith('Thanks')
      )
    )
    rounds.push(
      await round(
        'pick',
        graph,
        url,
        phones.map((p) => webhookBody(tenant, p, { button: { id: 'plus', title: 'Plus' } })),
        phones,
        (body) => String(body?.text?.body ?? '').startsWith('Noted')
      )
    )
    const completed = await db.query(
      `select count(*)::int as n from ${tenant.schema}.flow_sessions where status = 'completed'`
    )
    const floorResult = await floor(
      graph,
      tenant.phoneNumberId,
      phones.map((p, i) => webhookBody(tenant, p, { text: names[i] })),
      phones
    )
    console.log('  round  steps, time, rate; latency from webhook POST to the message at Graph')
    for (const result of rounds) report(result, floorResult)
    report(floorResult)
    console.log(`  sessions completed: ${completed.rows[0].n} of ${SESSIONS}`)
    const ok =
      rounds.every((r) => r.misses === 0 && r.duplicates === 0 && r.refused === 0) &&
      completed.rows[0].n === SESSIONS
    console.log(`  ${ok ? 'PASS' : 'FAIL'}: every step of every session once, none missed`)
    if (!ok) failed = true
  } catch (error) {
    console.error(error)
    failed = true
  } finally {
    for (const child of children) child.kill('SIGTERM')
    // Let them exit (and write their CPU profiles) before this process does.
    for (let i = 0; i < 100 && children.size; i++) await sleep(100)
    await db?.end()
    await graph.stop()
    await flushQueuePrefix(redis, QUEUE_PREFIX).catch(() => {})
    redis.disconnect()
  }
  process.exit(failed ? 1 : 0)
}

await main()
