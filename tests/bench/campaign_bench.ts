/*
| npm run bench:campaign
|
| A campaign's sending under a worker crash, on the native PostgreSQL at
| BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
| flomastr_campaign_bench, recreated for the run) and Redis at REDIS_URL
| under BENCH_QUEUE_PREFIX (default flomastr-bench-campaign, flushed at start
| and end), against the local Graph API server (tests/helpers/
| fake_graph_server.ts) on a thread of this process.
|
| The app runs as production runs it (`node ace build`; BENCH_SKIP_BUILD=1
| reuses build/): one APP_ROLE=web process for the API and BENCH_WORKERS
| (default 2, as production runs more than one) APP_ROLE=worker processes
| (QUEUE_CONCURRENCY = BENCH_CONCURRENCY, default 32). For each rate
| in BENCH_RATES (default "1000,80" messages per second, set on the channel)
| a fresh tenant gets BENCH_RECIPIENTS (default 100000) opted-in contacts in
| a segment and an approved marketing template; a campaign to the segment is
| created and launched through the API. When half the messages have reached
| Graph the worker sending the campaign (its lease names the process) is
| SIGKILLed and a new one started. It prints:
|
|   - the achieved send rate (first to last send at Graph) against the rate
|   - the most sends Graph saw in any one-second window (sliding)
|   - each worker's resident memory over the run (sampled every second)
|   - how late this process's event loop ran (Graph runs on a thread of its
|     own, tests/bench/graph_thread.ts, so that lateness does not bunch the
|     arrival times it stamps)
|   - duplicates (a number sent to twice) and misses (a recipient never sent to)
|   - the floor: this process sending the same count to the same Graph
|     server, paced at the same rate by a bare token bucket, and the ratio.
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import pg from 'pg'
import { Redis } from 'ioredis'
import {
  APP_ROOT,
  ace,
  aceJson,
  appKey,
  benchWhatsAppTenant,
  flushQueuePrefix,
  freePort,
  positive,
  recreateDatabase,
  waitForHealth,
} from './bench_support.js'
import { GraphThread } from './graph_thread.js'

const LOG_DIR = `${APP_ROOT}tmp/bench-campaign`
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_campaign_bench'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const QUEUE_PREFIX = process.env.BENCH_QUEUE_PREFIX ?? 'flomastr-bench-campaign'
const RECIPIENTS = positive('BENCH_RECIPIENTS', 100_000)
const CONCURRENCY = positive('BENCH_CONCURRENCY', 32)
const WORKERS = positive('BENCH_WORKERS', 2)
const RATES = (process.env.BENCH_RATES ?? '1000,80').split(',').map((rate) => {
  const value = Number(rate)
  if (!Number.isInteger(value) || value <= 0) throw new Error('BENCH_RATES: whole numbers')
  return value
})

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
    API_REQUESTS_PER_MINUTE: '100000000',
    WHATSAPP_GRAPH_URL: graphUrl,
    ALLOW_PRIVATE_MEDIA_URLS: 'true',
    ...extra,
  }
  delete out.EMBEDDED_DB_DIR
  return out
}

function start(role: 'web' | 'worker', name: string) {
  const log = createWriteStream(`${LOG_DIR}/${name}.log`)
  // BENCH_CPU_PROF=1: each process writes a V8 CPU profile (tmp/bench-campaign/*.cpuprofile) at exit.
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

/** Resident memory of a process in MB (Linux /proc), or null once it is gone. */
function rssMb(pid: number) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1])
    return Number.isFinite(kb) ? kb / 1024 : null
  } catch {
    return null
  }
}

async function api(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  })
  const json = (await response.json()) as any
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

/** A tenant off any plan, with a WhatsApp number at `rate`, its contacts, a segment and a template. */
async function prepare(db: pg.Client, graph: GraphThread, rate: number) {
  const { slug, schema, channelId, phoneNumberId } = await benchWhatsAppTenant(db, graph, env(), {
    slug: `campaign-bench-${rate}`,
    name: `Campaign ${rate}`,
    messagesPerSecond: rate,
    template: {
      name: 'tower_launch',
      category: 'MARKETING',
      body: 'Hello {{1}}, new towers in {{2}}!',
      variables: 2,
    },
  })
  await db.query(
    `insert into ${schema}.contacts (phone, name, tags, marketing_consent, opt_in, attributes)
     select '+97150' || lpad(n::text, 7, '0'), 'Client ' || n, array['bench'],
            'opted_in', 'opted_in', jsonb_build_object('area', case when n % 2 = 0 then 'JLT' else 'Marina' end)
       from generate_series(1, $1::int) n`,
    [RECIPIENTS]
  )
  await db.query(
    `insert into ${schema}.contact_fields (key, label, type) values ('area', 'Area', 'text')`
  )
  const segment = await db.query(
    `insert into ${schema}.segments (name, filter) values ('Everyone tagged bench', $1::jsonb) returning id`,
    [JSON.stringify({ match: 'all', conditions: [{ field: 'tag', op: 'has', value: 'bench' }] })]
  )
  const { token } = await aceJson(['apikeys:create', '--tenant', slug, '--name', 'bench'], env())
  return {
    slug,
    schema,
    channelId,
    phoneNumberId,
    segmentId: segment.rows[0].id,
    token,
  }
}

/** The most of `times` (ms, sorted) in any window of one second, and when that window starts. */
function busiestSecond(times: number[]) {
  let most = 0
  let from = times[0] ?? 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 1000) j++
    if (i - j + 1 > most) {
      most = i - j + 1
      from = times[j]
    }
  }
  return { most, from }
}

/** The floor: this process sending `count` to the same Graph server at `rate`, by a bare token bucket. */
async function floor(graph: GraphThread, phoneNumberId: string, rate: number, count: number) {
  const path = `/v21.0/${phoneNumberId}/messages`
  await graph.drain(path)
  const started = Date.now()
  let sent = 0
  const agent = async () => {
    while (sent < count) {
      const due = started + (sent / rate) * 1000
      if (due > Date.now()) {
        await sleep(due - Date.now())
        continue
      }
      const n = sent++
      await fetch(`${graph.url}/${phoneNumberId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'authorization': 'Bearer floor' },
        body: JSON.stringify({ messaging_product: 'whatsapp', to: `floor${n}`, type: 'template' }),
      })
    }
  }
  await Promise.all(Array.from({ length: 16 }, agent))
  const times = (await graph.drain(path)).at.sort((a, b) => a - b)
  return (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000)
}

async function run(db: pg.Client, redis: Redis, graph: GraphThread, rate: number) {
  const setup = await prepare(db, graph, rate)
  const pathOf = `/v21.0/${setup.phoneNumberId}/messages`
  // The sends Graph got (on its own thread), collected as they come.
  const got = { at: [] as number[], to: [] as string[] }
  const drain = async () => {
    const drained = await graph.drain(pathOf)
    got.at.push(...drained.at)
    got.to.push(...drained.to)
    return got.at.length
  }
  // How late this process's event loop ran (Graph's thread has its own).
  const lag = monitorEventLoopDelay({ resolution: 10 })
  lag.enable()
  await graph.loopLag()
  // WORKERS processes, numbered from 1; the one killed is replaced by the next number.
  const workers = new Map<number, ChildProcess>()
  for (let n = 1; n <= WORKERS; n++) workers.set(n, start('worker', `worker-${rate}-${n}`))
  const memory: Array<{ at: number; worker: number; mb: number }> = []
  const sampler = setInterval(() => {
    for (const [n, child] of workers) {
      const mb = rssMb(child.pid!)
      if (mb !== null) memory.push({ at: Date.now(), worker: n, mb })
    }
  }, 1000)
  await sleep(3000)

  const created = await api(setup.token, 'POST', '/campaigns', {
    name: `Bench ${rate}/s`,
    channel_id: setup.channelId,
    template: {
      name: 'tower_launch',
      language: 'en',
      variables: { '1': '{{contact.name}}', '2': '{{contact.area|Dubai}}' },
    },
    audience: { segment_id: setup.segmentId },
  })
  // The bench runs at any hour: no quiet hours (the API has no field for
  // them; the default 21:00-09:00 held every send of a run after 21:00).
  await db.query(
    `update ${setup.schema}.campaigns set quiet_start = null, quiet_end = null where id = $1`,
    [created.id]
  )
  const launchedAt = Date.now()
  const launched = await api(setup.token, 'POST', `/campaigns/${created.id}/launch`)
  const launchMs = Date.now() - launchedAt
  console.log(
    `\n${rate}/s: ${launched.stats.targeted} recipients written in ${launchMs} ms; sending…`
  )

  let killedAt: number | null = null
  const expectedMs = (RECIPIENTS / rate) * 1000
  const deadline = Date.now() + expectedMs * 2 + 180_000
  let lastReport = Date.now()
  for (;;) {
    await sleep(250)
    const count = await drain()
    if (killedAt === null && count >= RECIPIENTS / 2) {
      // The process sending the campaign: its lease names it (`…@host:pid`).
      // (Keys carry the queue prefix and the database's id.)
      const [key] = await redis.keys(`${QUEUE_PREFIX}*:campaign-lease:${setup.slug}:${created.id}`)
      const lease = key ? await redis.get(key) : null
      const pid = Number(lease?.split(':').pop())
      const sender = [...workers].find(([, child]) => child.pid === pid)
      const [n, victim] = sender ?? [...workers][0]
      victim.kill('SIGKILL')
      workers.delete(n)
      killedAt = Date.now()
      const next = WORKERS + 1
      console.log(
        `  worker ${n} (${sender ? 'the campaign’s sender' : 'no lease found: the first'}) SIGKILLed at ${count} sends; worker ${next} starts`
      )
      workers.set(next, start('worker', `worker-${rate}-${next}`))
    }
    const left = await db.query(
      `select count(*) filter (where status in ('queued', 'sending', 'accepted'))::int as waiting
         from ${setup.schema}.campaign_recipients where campaign_id = $1`,
      [created.id]
    )
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now()
      console.log(`  … ${count} sent, ${left.rows[0].waiting} waiting`)
    }
    if (count >= RECIPIENTS && left.rows[0].waiting === 0) break
    if (killedAt !== null && left.rows[0].waiting === 0) {
      // Everything settled: whatever did not reach Graph is a miss.
      await sleep(2000)
      break
    }
    if (Date.now() > deadline) {
      console.log('  (stopped waiting: past twice the expected time)')
      break
    }
  }
  clearInterval(sampler)
  lag.disable()
  for (const child of workers.values()) child.kill('SIGTERM')

  await drain()
  const times = [...got.at].sort((a, b) => a - b)
  const perNumber = new Map<string, number>()
  for (const to of got.to) perNumber.set(to, (perNumber.get(to) ?? 0) + 1)
  const duplicates = [...perNumber.values()].reduce((sum, n) => sum + (n > 1 ? n - 1 : 0), 0)
  const misses = RECIPIENTS - perNumber.size
  const seconds = (times[times.length - 1] - times[0]) / 1000
  const achieved = (times.length - 1) / seconds
  const unsettled = await db.query(
    `select status, coalesce(error_title, '') as title, count(*)::int as n
       from ${setup.schema}.campaign_recipients where campaign_id = $1 and status not in ('sent', 'accepted')
      group by 1, 2`,
    [created.id]
  )
  const gap = killedAt
    ? (() => {
        const after = times.find((t) => t > killedAt!) ?? killedAt
        const before = [...times].reverse().find((t) => t <= killedAt!) ?? killedAt
        return (after - before) / 1000
      })()
    : 0

  console.log(
    `  achieved   ${achieved.toFixed(1)}/s over ${seconds.toFixed(1)} s = ${((achieved / rate) * 100).toFixed(1)}% of ${rate}/s (the crash's gap included: ${gap.toFixed(1)} s)`
  )
  // Sends Graph saw in each 5 s span from the first, where a stall or a slow tail shows.
  const spans: number[] = []
  for (const t of times) {
    const span = Math.floor((t - times[0]) / 5000)
    spans[span] = (spans[span] ?? 0) + 1
  }
  console.log(`  per 5 s    ${Array.from(spans, (n) => n ?? 0).join(' ')}`)
  // BENCH_DUMP_TIMES=<file>: every arrival time (ms, sorted) as JSON, to look at the shape.
  if (process.env.BENCH_DUMP_TIMES)
    writeFileSync(process.env.BENCH_DUMP_TIMES, JSON.stringify(times))
  const busiest = busiestSecond(times)
  console.log(
    `  busiest    ${busiest.most} sends in any one second (limit ${rate}), from ${((busiest.from - times[0]) / 1000).toFixed(1)} s${killedAt ? ` (the SIGKILL at ${((killedAt - times[0]) / 1000).toFixed(1)} s)` : ''}`
  )
  console.log(
    `  bench loop lag p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms, max ${(lag.max / 1e6).toFixed(0)} ms (Graph stamps arrivals on its own thread)`
  )
  const graphLag = await graph.loopLag()
  console.log(
    `  Graph loop lag p99 ${graphLag.p99.toFixed(0)} ms, max ${graphLag.max.toFixed(0)} ms (a late loop stamps arrivals late)`
  )
  console.log(`  sent       ${times.length} requests to ${perNumber.size} numbers of ${RECIPIENTS}`)
  console.log(`  duplicates ${duplicates}`)
  console.log(`  misses     ${misses}`)
  if (unsettled.rows.length) {
    console.log(
      `  recipients not sent: ${unsettled.rows.map((r) => `${r.status} "${r.title}": ${r.n}`).join('; ')}`
    )
  }
  for (let n = 1; n <= WORKERS + 1; n++) {
    const series = memory.filter((m) => m.worker === n).map((m) => m.mb)
    if (!series.length) continue
    const step = Math.max(1, Math.floor(series.length / 12))
    const shown = series.filter((_, k) => k % step === 0).map((mb) => mb.toFixed(0))
    console.log(
      `  worker ${n} RSS MB: first ${series[0].toFixed(0)}, max ${Math.max(...series).toFixed(0)}, last ${series[series.length - 1].toFixed(0)}  [${shown.join(' ')}]`
    )
  }
  const floorCount = Math.min(RECIPIENTS, rate * 20)
  const floorRate = await floor(graph, setup.phoneNumberId, rate, floorCount)
  console.log(
    `  floor      ${floorRate.toFixed(1)}/s (${floorCount} bare paced requests from this process); ratio ${(achieved / floorRate).toFixed(2)}`
  )
  return { ok: duplicates === 0 && misses === 0 && busiest.most <= rate }
}

async function main() {
  mkdirSync(LOG_DIR, { recursive: true })
  port = await freePort()
  const graph = await new GraphThread().start()
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
    const web = start('web', 'web')
    await waitForHealth(web, port)
    // As Meta does: every message Graph takes is reported `sent` to the app's
    // webhook (batched every 250 ms), echoing the send's biz_opaque_callback_data;
    // a send in flight at the SIGKILL is settled by it. BENCH_STATUS_WEBHOOKS=0: off.
    if (process.env.BENCH_STATUS_WEBHOOKS !== '0') {
      await graph.reportStatuses(`http://127.0.0.1:${port}/webhooks/whatsapp`, 'bench-secret', 250)
    }
    console.log(
      `bench:campaign — ${RECIPIENTS} recipients per rate, ${WORKERS} worker process(es) (concurrency ${CONCURRENCY}), the campaign's sender SIGKILLed halfway, native PostgreSQL, local Graph server (${graph.raised ? 'on a thread at nice -10' : 'priority not raised: not permitted here'})`
    )
    for (const rate of RATES) {
      const result = await run(db, redis, graph, rate)
      if (!result.ok) failed = true
    }
  } catch (error) {
    console.error(error)
    failed = true
  } finally {
    for (const child of children) child.kill('SIGTERM')
    await db?.end()
    await graph.stop()
    await flushQueuePrefix(redis, QUEUE_PREFIX).catch(() => {})
    redis.disconnect()
  }
  process.exit(failed ? 1 : 0)
}

await main()
