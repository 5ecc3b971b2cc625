/*
| npm run bench:ingest
|
| WhatsApp webhook ingestion end to end, on the native PostgreSQL at
| BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/flomastr_ingest_bench,
| recreated for the run) and Redis at REDIS_URL under the queue prefix
| BENCH_QUEUE_PREFIX (default flomastr-bench, flushed at start and end).
|
| Runs the app as production runs it: `node ace build`, then one
| APP_ROLE=web process and BENCH_WORKERS (default 1) APP_ROLE=worker
| processes from build/ with NODE_ENV=production and LOG_LEVEL=warn
| (BENCH_MODE=development runs bin/server.ts through ts-node instead).
| Then, for two phases with fresh contacts each:
|
|   1. steady      BENCH_WEBHOOKS/2 signed webhooks at BENCH_RATE per second
|   2. worker kill the same, and halfway through the first worker gets
|                  SIGKILL and a new one is started
|
| ~2% of deliveries are resent bodies (Meta's redeliveries). Each phase waits
| (at most BENCH_WAIT_MS) until every accepted message is processed, then
| prints throughput, response times, inbound-to-stored/processed latency and
| the LOST / DUPLICATED / OUT-OF-ORDER counts, which must be zero: otherwise
| the bench says so and exits 1. All traffic goes to 127.0.0.1.
|
| Knobs: BENCH_WEBHOOKS (20000, both phases), BENCH_RATE (1000/s),
| BENCH_CONTACTS (500 per phase), BENCH_CONCURRENCY (64 in flight),
| BENCH_WAIT_MS (300000, per phase), BENCH_SEND_MAX_MS (per phase: sending
| stops there if the server falls behind; 3x the planned time, at least
| 30 s), BENCH_KEEP=1 (keep the database, logs always stay
| in tmp/bench-ingest/), BENCH_WORKER_NICE (10, as the README advises for a
| host both roles share; 0 to compare), BENCH_WEB_NODE_ARGS /
| BENCH_WORKER_NODE_ARGS (extra node flags, e.g. "--cpu-prof
| --cpu-prof-dir=tmp/bench-ingest").
|
| The load comes from this process on the same two cores, so it is kept
| lean (raw_http.ts) and its own event-loop delay is printed beside the
| response times it measures.
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac, randomBytes, randomInt } from 'node:crypto'
import { setPriority } from 'node:os'
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
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
import { queuePrefixFor } from '#app/queue/queue_prefix'
import { RawConnection, rawRequest } from './raw_http.js'

const LOG_DIR = `${APP_ROOT}tmp/bench-ingest`

const WEBHOOKS = positive('BENCH_WEBHOOKS', 20_000)
const RATE = positive('BENCH_RATE', 1_000)
const CONTACTS = positive('BENCH_CONTACTS', 500)
const CONCURRENCY = positive('BENCH_CONCURRENCY', 64)
const WAIT_MS = positive('BENCH_WAIT_MS', 300_000)
/** Per phase; default 3x the planned sending time, at least 30 s. */
const SEND_MAX_MS = process.env.BENCH_SEND_MAX_MS ? positive('BENCH_SEND_MAX_MS', 0) : null
const DUPLICATE_RATE = 0.02
const KEEP = process.env.BENCH_KEEP === '1'
const QUEUE_PREFIX = process.env.BENCH_QUEUE_PREFIX ?? 'flomastr-bench'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_ingest_bench'
/** Nothing here may run forever: past this the bench stops everything and fails. */
const HARD_DEADLINE_MS = WAIT_MS * 2 + 300_000

const MODE = process.env.BENCH_MODE === 'development' ? 'development' : 'production'
const WORKER_PROCESSES = positive('BENCH_WORKERS', 1)
/**
 * Niceness for worker processes (0-19): the README's advice for a host the
 * two roles share (nice -n 10), so webhooks are answered first.
 */
const WORKER_NICE = Number(process.env.BENCH_WORKER_NICE ?? 10)

const TS_NODE = [
  '--import=ts-node-maintained/register/esm',
  '--disable-warning=ExperimentalWarning',
]

/* ------------------------------------------------------------------ processes */

interface Proc {
  name: string
  child: ChildProcess
  exited: Promise<number | null>
}

const processes = new Set<Proc>()
let port = 0

/** The environment `node ace` runs in for the bench. */
function aceEnv() {
  return childEnv({ APP_ROLE: 'web' })
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX,
    HOST: '127.0.0.1',
    PORT: String(port),
    ...extra,
  }
  delete env.EMBEDDED_DB_DIR
  return env
}

/** A long-running app process; its output goes to tmp/bench-ingest/<name>.log. */
function startProcess(name: string, role: 'web' | 'worker'): Proc {
  const log = createWriteStream(`${LOG_DIR}/${name}.log`)
  const extra = (process.env[`BENCH_${role.toUpperCase()}_NODE_ARGS`] ?? '').split(/\s+/)
  const production = MODE === 'production'
  const entry = production ? ['bin/server.js'] : [...TS_NODE, 'bin/server.ts']
  const env = production
    ? childEnv({
        APP_ROLE: role,
        NODE_ENV: 'production',
        APP_KEY: appKey(),
        APP_URL: `http://127.0.0.1:${port}`,
      })
    : childEnv({ APP_ROLE: role })
  const child = spawn(process.execPath, [...extra.filter(Boolean), ...entry], {
    cwd: production ? `${APP_ROOT}build` : APP_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  if (role === 'worker' && WORKER_NICE) setPriority(child.pid!, WORKER_NICE)
  const proc: Proc = {
    name,
    child,
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  }
  processes.add(proc)
  proc.exited.then(() => processes.delete(proc))
  return proc
}

/*
| CPU seconds each app process has used, sampled every half second so a
| process killed mid-phase still counts up to its last sample. On a shared
| machine latency mostly measures the neighbours; CPU per message measures
| the code.
*/
const cpuByPid = new Map<number, { role: 'web' | 'worker'; seconds: number }>()
const CLOCK_TICKS = 100

function sampleCpu() {
  for (const proc of processes) {
    const pid = proc.child.pid
    if (!pid || proc.child.exitCode !== null || proc.child.signalCode !== null) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
      const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
      cpuByPid.set(pid, { role: proc.name.startsWith('worker') ? 'worker' : 'web', seconds })
    } catch {
      // Gone between the check and the read: its last sample stands.
    }
  }
}

function cpuTotals() {
  sampleCpu()
  const totals = { web: 0, worker: 0 }
  for (const { role, seconds } of cpuByPid.values()) totals[role] += seconds
  return totals
}

async function stopProcess(proc: Proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return
  proc.child.kill('SIGTERM')
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000)
  await proc.exited
  clearTimeout(timer)
}

async function waitForHealth(proc: Proc, ms = 90_000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited during start`)
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/health', timeout: 1_000 }, (res) => {
        res.resume()
        resolve(res.statusCode === 200)
      })
      req.on('error', () => resolve(false))
      req.on('timeout', () => req.destroy())
    })
    if (ok) return
    await sleep(250)
  }
  throw new Error(`${proc.name}: GET /health not 200 within ${ms} ms`)
}

/**
 * A worker is up once it has a BullMQ worker on the inbound queue: BullMQ
 * names that Redis connection <prefix>:<base64 queue name>; queues do not
 * name theirs. `known` holds the connection ids seen before.
 */
async function waitForWorker(redis: Redis, known: Set<string>, ms = 90_000) {
  // The app's queues are named under QUEUE_PREFIX and its database's id.
  const appPrefix = queuePrefixFor(QUEUE_PREFIX, { databaseUrl: DATABASE_URL, embeddedDataDir: '' })
  const name = `${appPrefix}:${Buffer.from('inbound').toString('base64')}`
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    const clients = (await redis.client('LIST')) as string
    const ids = clients
      .split('\n')
      .filter((line) => {
        const client = /name=(\S*)/.exec(line)?.[1] ?? ''
        return client === name || client.startsWith(`${name}:w:`)
      })
      .map((line) => /id=(\d+)/.exec(line)?.[1] ?? '')
    if (ids.some((id) => !known.has(id))) {
      for (const id of ids) known.add(id)
      return
    }
    await sleep(250)
  }
  throw new Error(`no inbound worker registered within ${ms} ms`)
}

/* ------------------------------------------------------------------ payloads */

interface Channel {
  phoneNumberId: string
  wabaId: string
  appSecret: string
}

interface Delivery {
  wamid: string
  raw: string
  signature: string
  duplicate: boolean
}

/** The shape of tests/helpers/whatsapp.ts `webhook(channel, { messages: [messages.text()] })`. */
function textWebhook(channel: Channel, from: string, id: string, timestamp: number, body: string) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: channel.wabaId,
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: '15550001234',
                phone_number_id: channel.phoneNumberId,
              },
              contacts: [{ profile: { name: `Customer ${from.slice(-4)}` }, wa_id: from }],
              messages: [{ from, id, timestamp: String(timestamp), type: 'text', text: { body } }],
            },
            field: 'messages',
          },
        ],
      },
    ],
  })
}

function sign(raw: string, secret: string) {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`
}

/** wa_id of contact `index` in phase `phase`: distinct per phase, so phases never share a contact. */
function waIdOf(phase: number, index: number) {
  return `1555${phase}${String(index).padStart(6, '0')}`
}

/**
 * `total` deliveries: unique messages round-robin over the contacts (so a
 * contact's consecutive messages are CONTACTS sends apart), each contact's
 * timestamps strictly increasing, plus ~2% resent bodies a few hundred
 * sends after their original.
 */
function buildDeliveries(channel: Channel, phase: number, total: number): Delivery[] {
  const duplicates = Math.round(total * DUPLICATE_RATE)
  const unique = total - duplicates
  const perContact = Math.ceil(unique / CONTACTS)
  const base = Math.floor(Date.now() / 1000) - perContact - 60
  const run = randomBytes(4).toString('hex').toUpperCase()
  const out: Delivery[] = []
  for (let i = 0; i < unique; i++) {
    const contact = i % CONTACTS
    const k = Math.floor(i / CONTACTS)
    const wamid = `wamid.HBgL${run}P${phase}C${contact}M${k}`
    const raw = textWebhook(
      channel,
      waIdOf(phase, contact),
      wamid,
      base + k,
      `Message ${k} from customer ${contact}: is the flat on Elm Street still available?`
    )
    out.push({ wamid, raw, signature: sign(raw, channel.appSecret), duplicate: false })
  }
  const every = unique / Math.max(duplicates, 1)
  for (let d = 0; d < duplicates; d++) {
    const original = out[Math.floor(d * every)]
    const at = Math.min(out.length, Math.floor(d * every) + 1 + d + randomInt(1, 300))
    out.splice(at, 0, { ...original, duplicate: true })
  }
  return out
}

/* ------------------------------------------------------------------ load */

interface SendResult {
  /** epoch ms (sub-millisecond) when the request was written */
  sentAt: number
  latencyMs: number
  /** HTTP status, 0 for a connection error or timeout */
  status: number
}

interface SendRun {
  /** one per delivery actually sent (a prefix of the deliveries) */
  results: SendResult[]
  wallMs: number
  maxLagMs: number
  /** sending stopped at the time cap with deliveries left unsent */
  cutShort: boolean
}

/**
 * Sends at a steady RATE with at most CONCURRENCY requests in flight, one per
 * keep-alive connection (see raw_http.ts), all opened before the clock
 * starts, as a sender that keeps its connections open has them: otherwise
 * the first requests of a phase time CONCURRENCY TCP handshakes, accepted
 * while every process on the machine wakes up at once (measured: the first
 * ~60 requests took 250 ms to 1.2 s, the rest of the phase under 250 ms).
 *
 * A send the concurrency cap holds back starts late; the worst lag behind
 * the schedule is reported (latency is measured from the actual send, so
 * read it together with the lag). A server that cannot keep up would
 * stretch the run without bound, so sending stops after `capMs` (what is in
 * flight still finishes); `onHalf` fires at half the deliveries or half the
 * cap, whichever comes first.
 */
async function send(deliveries: Delivery[], capMs: number, onHalf?: () => void): Promise<SendRun> {
  const requests = deliveries.map((delivery) =>
    rawRequest(
      'POST',
      '/webhooks/whatsapp',
      {
        'Host': `127.0.0.1:${port}`,
        'Content-Type': 'application/json',
        'X-Hub-Signature-256': delivery.signature,
      },
      delivery.raw
    )
  )
  const connections = Array.from(
    { length: CONCURRENCY },
    () => new RawConnection('127.0.0.1', port)
  )
  await Promise.all(connections.map((connection) => connection.open()))
  const idle = [...connections]

  const results: SendResult[] = new Array(deliveries.length)
  let next = 0
  let finished = 0
  let maxLagMs = 0
  let halfFired = false
  let total = deliveries.length
  const start = performance.now()

  // A request unanswered for 10 s fails (status 0) and frees its connection.
  const watchdog = setInterval(() => {
    const now = performance.now()
    for (const connection of connections) {
      if (connection.busy && now - connection.sentAt > 10_000) connection.abort()
    }
  }, 500)

  return new Promise((resolve) => {
    const end = (wallMs: number, cutShort: boolean) => {
      clearInterval(watchdog)
      for (const connection of connections) connection.close()
      results.length = total
      resolve({ results, wallMs, maxLagMs, cutShort })
    }
    const fire = (index: number) => {
      const connection = idle.pop()!
      const t0 = performance.now()
      const sentAt = performance.timeOrigin + t0
      void connection.send(requests[index]).then((status) => {
        results[index] = { sentAt, latencyMs: performance.now() - t0, status }
        idle.push(connection)
        finished++
        if (finished === total && next === total) {
          end(performance.now() - start, total < deliveries.length)
        }
      })
    }

    const tick = () => {
      const elapsed = performance.now() - start
      const due = Math.min(deliveries.length, Math.floor((elapsed * RATE) / 1000) + 1)
      while (next < due && idle.length) fire(next++)
      if (next < due) maxLagMs = Math.max(maxLagMs, elapsed - (next * 1000) / RATE)
      if (!halfFired && onHalf && (next >= deliveries.length / 2 || elapsed >= capMs / 2)) {
        halfFired = true
        onHalf()
      }
      if (elapsed >= capMs && next < total) {
        total = next
        if (finished === total) end(elapsed, true)
        return
      }
      if (next < total) setTimeout(tick, 1)
    }
    tick()
  })
}

/* ------------------------------------------------------------------ checks */

interface PhaseReport {
  name: string
  ok: boolean
  lines: string[]
  acceptedPerSecond: number
  p99: number
}

function fmt(ms: number) {
  if (!Number.isFinite(ms)) return 'n/a'
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`
}

function distribution(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  return `p50 ${fmt(percentile(sorted, 50))}  p95 ${fmt(percentile(sorted, 95))}  p99 ${fmt(percentile(sorted, 99))}  max ${fmt(sorted.at(-1) ?? Number.NaN)}`
}

async function runPhase(
  db: pg.Client,
  schema: string,
  channel: Channel,
  phase: number,
  name: string,
  total: number,
  onHalf?: () => void
): Promise<PhaseReport> {
  const planned = buildDeliveries(channel, phase, total)
  process.stderr.write(`phase ${phase} (${name}): sending ${planned.length} webhooks...\n`)
  const cpuAtStart = cpuTotals()
  const cpuSampler = setInterval(sampleCpu, 500)
  const capMs = SEND_MAX_MS ?? Math.max(30_000, ((3 * planned.length) / RATE) * 1000)
  const loop = monitorEventLoopDelay({ resolution: 5 })
  loop.enable()
  const run = await send(planned, capMs, onHalf)
  loop.disable()
  const deliveries = planned.slice(0, run.results.length)
  const unique = new Set(deliveries.map((d) => d.wamid)).size

  // First send time per wamid, and which wamids got at least one 2xx.
  const firstSent = new Map<string, number>()
  const accepted = new Set<string>()
  const byStatus = new Map<string, number>()
  let acceptedCount = 0
  let lastAcceptedEnd = 0
  for (const [i, { wamid }] of deliveries.entries()) {
    const result = run.results[i]
    if (!firstSent.has(wamid)) firstSent.set(wamid, result.sentAt)
    if (result.status >= 200 && result.status < 300) {
      accepted.add(wamid)
      acceptedCount++
      lastAcceptedEnd = Math.max(lastAcceptedEnd, result.sentAt + result.latencyMs)
    } else {
      const key = result.status === 0 ? 'error/timeout' : String(result.status)
      byStatus.set(key, (byStatus.get(key) ?? 0) + 1)
    }
  }
  const firstSentAt = Math.min(...run.results.map((r) => r.sentAt))
  const acceptedPerSecond = acceptedCount / ((lastAcceptedEnd - firstSentAt) / 1000)
  const latencies = run.results.map((r) => r.latencyMs)
  const sortedLatencies = [...latencies].sort((a, b) => a - b)

  // Wait (bounded) until every accepted message is processed and every
  // stored webhook event of the tenant is done.
  process.stderr.write(`phase ${phase}: waiting for processing...\n`)
  const prefix = `1555${phase}%`
  const waitStart = Date.now()
  let processed = 0
  let pendingEvents = 0
  for (;;) {
    const counts = await db.query(
      `select
          (select count(*) from ${schema}.messages m join ${schema}.contacts c on c.id = m.contact_id
            where c.wa_id like $1 and m.processed_at is not null)::int as processed,
          (select count(*) from webhook_events where processed_at is null)::int as pending`,
      [prefix]
    )
    processed = counts.rows[0].processed
    pendingEvents = counts.rows[0].pending
    if (processed >= accepted.size && pendingEvents === 0) break
    if (Date.now() - waitStart > WAIT_MS) break
    await sleep(250)
  }
  const drainedAfterMs = Date.now() - waitStart

  const rows = await db.query(
    `select m.external_id,
        extract(epoch from m.created_at) * 1000 as created_ms,
        extract(epoch from m.processed_at) * 1000 as processed_ms
      from ${schema}.messages m join ${schema}.contacts c on c.id = m.contact_id
      where c.wa_id like $1`,
    [prefix]
  )
  const stored = new Map<string, { created: number; processed: number | null }>()
  const toStored: number[] = []
  const toProcessed: number[] = []
  let foreign = 0
  for (const row of rows.rows) {
    const sentAt = firstSent.get(row.external_id)
    if (sentAt === undefined) {
      foreign++
      continue
    }
    const created = Number(row.created_ms)
    const processedMs = row.processed_ms === null ? null : Number(row.processed_ms)
    stored.set(row.external_id, { created, processed: processedMs })
    toStored.push(created - sentAt)
    if (processedMs !== null) toProcessed.push(processedMs - sentAt)
  }
  const lost = [...accepted].filter((wamid) => !stored.has(wamid))
  const unprocessed = [...stored.entries()].filter(([, row]) => row.processed === null)

  // DUPLICATED: a wamid stored twice (the unique index forbids it), or
  // processing done twice in a way the data shows: two contacts for one
  // wa_id, two open conversations for one contact, or a conversation whose
  // unread count (incremented once per stored message) exceeds its messages.
  const dup = await db.query(
    `select
        (select count(*) from (select external_id from ${schema}.messages
            group by external_id having count(*) > 1) x)::int as wamid_rows,
        (select count(*) from (select wa_id from ${schema}.contacts where wa_id like $1
            group by wa_id having count(*) > 1) x)::int as contacts,
        (select count(*) from (select v.contact_id from ${schema}.conversations v
            join ${schema}.contacts c on c.id = v.contact_id where c.wa_id like $1
            group by v.contact_id having count(*) > 1) x)::int as conversations,
        (select count(*) from ${schema}.conversations v
            join ${schema}.contacts c on c.id = v.contact_id
            where c.wa_id like $1 and v.unread_count <> (select count(*) from ${schema}.messages m
              where m.conversation_id = v.id and m.direction = 'inbound'))::int as unread_mismatch`,
    [prefix]
  )
  const d = dup.rows[0]
  const duplicated = d.wamid_rows + d.contacts + d.conversations + d.unread_mismatch

  // OUT-OF-ORDER: per conversation, in the order messages were handed on
  // (processed_at; one batch shares it and is handed on in provider order),
  // a message stamped earlier than one handed on before it.
  const order = await db.query(
    `select count(*)::int as out_of_order, count(distinct conversation_id)::int as conversations
      from (
        select m.conversation_id, m.provider_timestamp,
          max(m.provider_timestamp) over (
            partition by m.conversation_id
            order by m.processed_at, m.provider_timestamp, m.seq
            rows between unbounded preceding and 1 preceding) as earlier_max
        from ${schema}.messages m join ${schema}.contacts c on c.id = m.contact_id
        where c.wa_id like $1 and m.processed_at is not null
      ) x
      where provider_timestamp < earlier_max`,
    [prefix]
  )
  const outOfOrder = order.rows[0].out_of_order as number

  const notAccepted = [...byStatus.entries()].map(([status, n]) => `${status}: ${n}`).join(', ')
  const ok =
    lost.length === 0 &&
    duplicated === 0 &&
    outOfOrder === 0 &&
    unprocessed.length === 0 &&
    foreign === 0
  clearInterval(cpuSampler)
  const cpuAtEnd = cpuTotals()
  const cpu = (role: 'web' | 'worker') => cpuAtEnd[role] - cpuAtStart[role]
  const lines = [
    `phase ${phase}: ${name}`,
    `  webhooks sent        ${deliveries.length} (${unique} unique messages, ${deliveries.length - unique} duplicate deliveries, ${CONTACTS} contacts) in ${fmt(run.wallMs)}`,
    ...(run.cutShort
      ? [
          `  SENDING CUT SHORT    ${planned.length - deliveries.length} of ${planned.length} not sent: the server fell behind and the ${fmt(capMs)} cap was reached`,
        ]
      : []),
    `  target rate          ${RATE}/s, ${CONCURRENCY} in flight max; worst lag behind schedule ${fmt(run.maxLagMs)}`,
    `  accepted (2xx)       ${acceptedCount}, ${acceptedPerSecond.toFixed(0)}/s`,
    `  non-2xx              ${notAccepted || 'none'}`,
    `  response time        ${distribution(sortedLatencies)}`,
    `  bench's own delay    p99 ${fmt(loop.percentile(99) / 1e6)}  max ${fmt(loop.max / 1e6)} (event loop of this process, which times the responses)`,
    `  inbound→stored       ${distribution(toStored)}`,
    `  inbound→processed    ${distribution(toProcessed)}`,
    `  CPU                  worker ${cpu('worker').toFixed(1)} s (${((cpu('worker') * 1000) / Math.max(unique, 1)).toFixed(2)} ms per message), web ${cpu('web').toFixed(1)} s (${((cpu('web') * 1000) / Math.max(deliveries.length, 1)).toFixed(2)} ms per webhook)`,
    `  drained              ${processed}/${accepted.size} processed, ${pendingEvents} webhook events pending, ${fmt(drainedAfterMs)} after the last send`,
    `  LOST                 ${lost.length}${lost.length ? `  e.g. ${lost.slice(0, 3).join(', ')}` : ''}`,
    `  DUPLICATED           ${duplicated}  (wamid rows ${d.wamid_rows}, contacts ${d.contacts}, conversations ${d.conversations}, unread mismatches ${d.unread_mismatch})`,
    `  OUT-OF-ORDER         ${outOfOrder}`,
  ]
  if (unprocessed.length) {
    lines.push(
      `  NOT PROCESSED        ${unprocessed.length} stored but not processed after ${fmt(WAIT_MS)}`
    )
  }
  if (foreign) lines.push(`  UNEXPECTED ROWS      ${foreign} messages with a wamid never sent`)
  return { name, ok, lines, acceptedPerSecond, p99: percentile(sortedLatencies, 99) }
}

/* ------------------------------------------------------------------ setup */

/* ------------------------------------------------------------------ main */

async function main() {
  mkdirSync(LOG_DIR, { recursive: true })
  port = await freePort()
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true })
  await redis.connect()
  let db: pg.Client | null = null
  let failed = false

  try {
    await flushQueuePrefix(redis, QUEUE_PREFIX)
    await recreateDatabase(DATABASE_URL)
    const setupStart = Date.now()
    if (MODE === 'production') {
      const built = await ace(['build'], aceEnv())
      if (built.status !== 0)
        throw new Error(`node ace build failed:\n${built.stdout}${built.stderr}`)
    }
    const migrated = await ace(['migration:run', '--force'], aceEnv())
    if (migrated.status !== 0) {
      throw new Error(`migration:run failed:\n${migrated.stdout}${migrated.stderr}`)
    }
    const tenant = await aceJson(
      [
        'tenants:create',
        '--slug',
        'ingest-bench',
        '--name',
        'Ingest Bench',
        '--owner-email',
        'owner@ingest-bench.test',
        '--owner-password',
        'bench-pass-1234',
      ],
      aceEnv()
    )
    const channel: Channel = {
      phoneNumberId: `1${randomInt(1e9, 9e9)}${randomInt(1e4, 9e4)}`,
      wabaId: `2${randomInt(1e9, 9e9)}`,
      appSecret: randomBytes(16).toString('hex'),
    }
    await aceJson(
      [
        'channels:add-whatsapp',
        '--tenant',
        tenant.slug,
        '--phone-number-id',
        channel.phoneNumberId,
        '--waba-id',
        channel.wabaId,
        '--display-number',
        '+15550001234',
        '--access-token',
        'bench-access-token',
        '--app-secret',
        channel.appSecret,
        '--verify-token',
        `verify-${randomBytes(6).toString('hex')}`,
      ],
      aceEnv()
    )
    const schema = String(tenant.schema)
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`unexpected schema "${schema}"`)

    const web = startProcess('web', 'web')
    const workers = new Set<string>()
    const pool: Proc[] = []
    for (let i = 1; i <= WORKER_PROCESSES; i++) {
      pool.push(startProcess(`worker-${i}`, 'worker'))
      await waitForWorker(redis, workers)
    }
    await waitForHealth(web)
    process.stderr.write(
      `setup ${fmt(Date.now() - setupStart)}: web on 127.0.0.1:${port}, worker pids ${pool.map((w) => w.child.pid).join(', ')}, queue prefix ${QUEUE_PREFIX}\n`
    )

    db = new pg.Client({ connectionString: DATABASE_URL })
    await db.connect()

    const half = Math.floor(WEBHOOKS / 2)
    const reports: PhaseReport[] = []

    reports.push(await runPhase(db, schema, channel, 1, 'steady', half))

    let killNote = ''
    let restarted: Promise<void> | null = null
    reports.push(
      await runPhase(
        db,
        schema,
        channel,
        2,
        'worker SIGKILLed halfway, new one started',
        WEBHOOKS - half,
        () => {
          const killed = pool[0]
          const at = Date.now()
          killed.child.kill('SIGKILL')
          const replacement = startProcess('worker-restarted', 'worker')
          pool[0] = replacement
          restarted = waitForWorker(redis, workers).then(() => {
            killNote = `worker pid ${killed.child.pid} SIGKILLed mid-send; worker pid ${replacement.child.pid} took jobs ${fmt(Date.now() - at)} later`
          })
        }
      )
    )
    if (restarted) await restarted
    if (killNote) reports[1].lines.splice(1, 0, `  ${killNote}`)

    const sweeps = readFileSync(`${LOG_DIR}/worker-restarted.log`, 'utf8').match(
      /recovery sweep queued \d+/g
    )

    console.log(
      `\nbench:ingest — ${WEBHOOKS} signed WhatsApp webhooks at ${RATE}/s, 1 web + ${WORKER_PROCESSES} worker process(es) at nice ${WORKER_NICE} (QUEUE_CONCURRENCY ${process.env.QUEUE_CONCURRENCY ?? 'default'}), native PostgreSQL, NODE_ENV=${MODE} LOG_LEVEL=warn\n`
    )
    for (const report of reports) {
      console.log(report.lines.join('\n'))
      console.log(
        report.ok
          ? '  => OK\n'
          : '  => FAILED: messages lost, doubled, unprocessed or out of order\n'
      )
    }
    if (sweeps) console.log(`new worker's recovery sweep: ${sweeps.join(', ')}`)
    const target = reports.every((r) => r.acceptedPerSecond >= 1000 * 0.98 && r.p99 < 100)
    console.log(
      `target (>= 1,000 webhooks/s accepted, p99 < 100 ms): ${target ? 'met' : 'MISSED'}` +
        (RATE < 1000 ? ` (offered only ${RATE}/s)` : '')
    )
    console.log(`process logs: ${LOG_DIR}/`)

    if (reports.some((r) => !r.ok)) {
      failed = true
      console.log('\n!!! CORRECTNESS FAILURE: see LOST / DUPLICATED / OUT-OF-ORDER above !!!')
    }
  } catch (error) {
    failed = true
    console.error(`bench:ingest failed: ${(error as Error).stack ?? error}`)
  } finally {
    await db?.end().catch(() => {})
    await Promise.all([...processes].map(stopProcess))
    if (!KEEP) {
      await recreateDatabase(DATABASE_URL, true).catch((error) =>
        console.error(`could not drop the bench database: ${error.message}`)
      )
      await flushQueuePrefix(redis, QUEUE_PREFIX).catch(() => {})
    } else {
      console.log(`kept ${DATABASE_URL} and Redis keys ${QUEUE_PREFIX}:*`)
    }
    redis.disconnect()
  }
  return failed ? 1 : 0
}

const deadline = setTimeout(() => {
  console.error(`bench:ingest: hard deadline of ${fmt(HARD_DEADLINE_MS)} reached, stopping`)
  for (const proc of processes) proc.child.kill('SIGKILL')
  process.exit(1)
}, HARD_DEADLINE_MS)
deadline.unref()

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const proc of processes) proc.child.kill('SIGKILL')
    process.exit(130)
  })
}

// Exit explicitly: a leftover socket timer must not keep a finished bench alive.
process.exit(await main())
