/*
| npm run bench:tasks
|
| The task inbox under load, on the native PostgreSQL at BENCH_DATABASE_URL
| (default postgres://postgres@127.0.0.1:5432/flomastr_tasks_bench, recreated
| for the run) and Redis at REDIS_URL under BENCH_QUEUE_PREFIX (default
| flomastr-bench-tasks, flushed at start and end).
|
| As bench:api does, it runs the app as production runs it (`node ace
| build`, one APP_ROLE=web process from build/, NODE_ENV=production), makes
| the tenant and the key with the ace commands, and loads BENCH_TASKS
| (default 10000) pending tasks straight into the tenant's schema. Then,
| with BENCH_CONCURRENCY (default 16) requests in flight:
|
|   1. GET  /t/<slug>/tasks              (the owner's inbox, signed in)
|      BENCH_PAGES (default 500) times: p50/p95/p99 and pages per second
|   2. POST /api/v1/tasks                BENCH_REQUESTS (default 2000) times,
|      a reply approval with three components and an Idempotency-Key each
|
| each beside a floor: plain node:http and pg in this process doing the same
| reads and writes (the inbox's keyset page of 51 rows rendered as bare
| HTML; one INSERT of the task), with the app's pool size. The floor shares
| this process with the load generator, so it is a conservative floor.
|
| BENCH_CPU_PROF=1 makes the web process write a V8 CPU profile
| (tmp/bench-tasks/*.cpuprofile) when it stops, to see where a page's time goes.
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createWriteStream, mkdirSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
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

const LOG_DIR = `${APP_ROOT}tmp/bench-tasks`
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_tasks_bench'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const QUEUE_PREFIX = process.env.BENCH_QUEUE_PREFIX ?? 'flomastr-bench-tasks'
const TASKS = positive('BENCH_TASKS', 10_000)
const PAGES = positive('BENCH_PAGES', 500)
const REQUESTS = positive('BENCH_REQUESTS', 2000)
const CONCURRENCY = positive('BENCH_CONCURRENCY', 16)
const POOL_MAX = positive('DB_POOL_MAX', 10)
const OWNER = { email: 'owner@tasks-bench.test', password: 'bench-pass-1234' }

let port = 0
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
    DB_POOL_MAX: String(POOL_MAX),
    APP_ROLE: 'web',
    ...extra,
  }
  delete out.EMBEDDED_DB_DIR
  return out
}

function startWeb() {
  const log = createWriteStream(`${LOG_DIR}/web.log`)
  // BENCH_CPU_PROF=1: the web process writes a V8 CPU profile to LOG_DIR on exit.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${LOG_DIR}`] : []
  const child = spawn(process.execPath, [...profile, 'bin/server.js'], {
    cwd: `${APP_ROOT}build`,
    env: env({
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

/** Signs the owner in through the form; returns the Cookie header of the session. */
async function signIn() {
  const jar = new Map<string, string>()
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair.indexOf('=')
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
  }
  const page = await fetch(`http://127.0.0.1:${port}/login`)
  keep(page)
  const csrf = (await page.text()).match(/name='_csrf' value='([^']+)'/)?.[1] ?? ''
  const done = await fetch(`http://127.0.0.1:${port}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'cookie': cookie() },
    body: new URLSearchParams({ _csrf: csrf, email: OWNER.email, password: OWNER.password }),
  })
  keep(done)
  if (done.status !== 302) throw new Error(`sign-in answered ${done.status}`)
  return cookie()
}

async function seed(db: pg.Client, schema: string) {
  await db.query(
    `insert into ${schema}.hitl_tasks
       (kind, title, status, priority, due_at, components, action, allowed, source_type, created_at, updated_at)
     select case when n % 3 = 0 then 'quote_review' else 'reply_approval' end,
            'Approve the reply to customer ' || n, 'pending',
            case when n % 10 = 0 then 'high' else 'normal' end,
            now() + ((n % 48) - 12) * interval '1 hour',
            $2::jsonb, '{"type":"callback"}'::jsonb, '{"edit":true,"reject_reasons":[]}'::jsonb, 'api',
            now() - n * interval '1 second', now()
       from generate_series(1, $1::int) n`,
    [TASKS, JSON.stringify(COMPONENTS)]
  )
}

const COMPONENTS = [
  { type: 'text', text: 'The customer asked: *how much is my renewal?*' },
  {
    type: 'editable_text',
    name: 'reply',
    label: 'Reply',
    value: 'Your renewal premium stays at 1,200 AED.',
  },
  {
    type: 'choice',
    name: 'tone',
    label: 'Tone',
    options: [
      { value: 'formal', label: 'Formal' },
      { value: 'friendly', label: 'Friendly' },
    ],
  },
]

/* ------------------------------------------------------------------ floor */

function escapeHtml(text: string) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** The same reads and writes without the framework: a bare keyset page and a bare insert. */
async function startFloor(schema: string) {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: POOL_MAX })
  const server = http.createServer(async (request, response) => {
    try {
      if (request.method === 'GET') {
        const result = await pool.query(
          `select id, title, kind, status, priority, due_at, created_at from ${schema}.hitl_tasks
            where status = 'pending' order by created_at desc, id desc limit 51`
        )
        const rows = result.rows
          .slice(0, 50)
          .map(
            (row) =>
              `<li><a href="/tasks/${row.id}">${escapeHtml(row.title)}</a> ${row.kind} ${row.priority} ${row.due_at?.toISOString()}</li>`
          )
          .join('')
        response.writeHead(200, { 'content-type': 'text/html' })
        response.end(`<!DOCTYPE html><html><body><ul>${rows}</ul></body></html>`)
        return
      }
      let raw = ''
      for await (const chunk of request) raw += chunk
      const body = JSON.parse(raw)
      const inserted = await pool.query(
        `insert into ${schema}.hitl_tasks (kind, title, components) values ($1, $2, $3::jsonb) returning id, status`,
        [body.kind, body.title, JSON.stringify(body.components)]
      )
      response.writeHead(201, { 'content-type': 'application/json' })
      response.end(JSON.stringify(inserted.rows[0]))
    } catch (error) {
      response.writeHead(500)
      response.end(String(error))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, pool, port: (server.address() as AddressInfo).port }
}

/* ------------------------------------------------------------------ load */

interface Run {
  ms: number[]
  statuses: Map<number, number>
  wallMs: number
}

async function load(target: number, count: number, next: (i: number) => Buffer): Promise<Run> {
  const connections = Array.from(
    { length: CONCURRENCY },
    () => new RawConnection('127.0.0.1', target)
  )
  await Promise.all(connections.map((connection) => connection.open()))
  const ms: number[] = []
  const statuses = new Map<number, number>()
  let issued = 0
  const start = performance.now()
  await Promise.all(
    connections.map(async (connection) => {
      while (issued < count) {
        const request = next(issued++)
        const t0 = performance.now()
        const status = await connection.send(request)
        ms.push(performance.now() - t0)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
      }
    })
  )
  const wallMs = performance.now() - start
  for (const connection of connections) connection.close()
  return { ms, statuses, wallMs }
}

function report(name: string, run: Run, expected: number) {
  const sorted = [...run.ms].sort((a, b) => a - b)
  const f = (v: number) => `${v.toFixed(1)} ms`
  const others = [...run.statuses].filter(([status]) => status !== expected)
  const perSecond = run.ms.length / (run.wallMs / 1000)
  console.log(
    `  ${name.padEnd(6)} ${perSecond.toFixed(0).padStart(6)} /s   p50 ${f(percentile(sorted, 50))}  p95 ${f(percentile(sorted, 95))}  p99 ${f(percentile(sorted, 99))}  (${run.ms.length} requests${others.length ? `; OTHER THAN ${expected}: ${others.map(([s, n]) => `${s}: ${n}`).join(', ')}` : ''})`
  )
  return { perSecond, ok: others.length === 0 }
}

async function main() {
  mkdirSync(LOG_DIR, { recursive: true })
  port = await freePort()
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true })
  await redis.connect()
  let db: pg.Client | null = null
  let floor: Awaited<ReturnType<typeof startFloor>> | null = null
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
    const tenant = await aceJson(
      [
        'tenants:create',
        '--slug',
        'tasks-bench',
        '--name',
        'Tasks Bench',
        '--owner-email',
        OWNER.email,
        '--owner-password',
        OWNER.password,
      ],
      env()
    )
    const { token } = await aceJson(
      ['apikeys:create', '--tenant', tenant.slug, '--name', 'bench'],
      env()
    )
    const schema = String(tenant.schema)
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`unexpected schema "${schema}"`)
    db = new pg.Client({ connectionString: DATABASE_URL })
    await db.connect()
    await seed(db, schema)

    const web = startWeb()
    await waitForHealth(web, port)
    const cookie = await signIn()
    floor = await startFloor(schema)

    console.log(
      `\nbench:tasks — 1 web process (NODE_ENV=production), native PostgreSQL, pool ${POOL_MAX}, ${TASKS} pending tasks, ${CONCURRENCY} requests in flight; load average ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}\n`
    )
    const inbox = () =>
      rawRequest('GET', `/t/${tenant.slug}/tasks`, { Host: '127.0.0.1', Cookie: cookie })
    await load(port, 50, inbox)
    console.log(`GET /t/${tenant.slug}/tasks (the inbox, 50 of ${TASKS} pending)`)
    const appInbox = report('app', await load(port, PAGES, inbox), 200)
    const floorInbox = report('floor', await load(floor.port, PAGES, inbox), 200)
    console.log(`  ratio  ${(appInbox.perSecond / floorInbox.perSecond).toFixed(2)} of the floor\n`)

    const create = () =>
      rawRequest(
        'POST',
        '/api/v1/tasks',
        {
          'Host': '127.0.0.1',
          'Authorization': `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': randomUUID(),
        },
        JSON.stringify({
          kind: 'reply_approval',
          title: 'Approve the reply',
          components: COMPONENTS,
        })
      )
    await load(port, 50, create)
    console.log('POST /api/v1/tasks (three components, Idempotency-Key)')
    const appCreate = report('app', await load(port, REQUESTS, create), 201)
    const floorCreate = report('floor', await load(floor.port, REQUESTS, create), 201)
    console.log(
      `  ratio  ${(appCreate.perSecond / floorCreate.perSecond).toFixed(2)} of the floor\n`
    )
    failed = !(appInbox.ok && floorInbox.ok && appCreate.ok && floorCreate.ok)
  } catch (error) {
    console.error(error)
    failed = true
  } finally {
    for (const child of children) child.kill('SIGTERM')
    floor?.server.close()
    await floor?.pool.end()
    await db?.end()
    await flushQueuePrefix(redis, QUEUE_PREFIX).catch(() => {})
    redis.disconnect()
  }
  process.exit(failed ? 1 : 0)
}

await main()
