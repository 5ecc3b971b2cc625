/*
| npm run bench:journeys
|
| The scheduler under a worker crash: BENCH_ENROLLMENTS (default 100000)
| enrollments of one sequence whose first step is due within the same
| minute, run by BENCH_WORKERS (default 2) APP_ROLE=worker processes, one
| of which is SIGKILLed when half the steps are done (a new one starts in
| its place). On the native PostgreSQL at BENCH_DATABASE_URL (default
| postgres://postgres@127.0.0.1:5432/flomastr_journeys_bench, recreated)
| and Redis at REDIS_URL under BENCH_QUEUE_PREFIX (flushed at start and
| end), with the local Graph API server in this process.
|
| The step (BENCH_STEP): `send` (default) sends an approved template
| through the channels door (a message row per contact, its delivery job
| and the Graph call), `wait` only moves each enrollment on (the engine
| without the send). Workers run from source (ts-node) unless BENCH_BUILD=1
| (then `node ace build` and build/).
|
| It prints: how late each step ran after its due time (p50, p99, max) and
| how many ran more than 60 s late, duplicates (a contact sent the step
| twice) and misses (a step never run or a contact never sent to), steps
| claimed again after the kill, and the floor: one bare statement per row
| (`update ... set status = 'done'`) over the same rows from this process.
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
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
  percentile,
  positive,
  recreateDatabase,
} from './bench_support.js'

const LOG_DIR = `${APP_ROOT}tmp/bench-journeys`
const DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_journeys_bench'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const QUEUE_PREFIX = process.env.BENCH_QUEUE_PREFIX ?? 'flomastr-bench-journeys'
const ENROLLMENTS = positive('BENCH_ENROLLMENTS', 100_000)
const WORKERS = positive('BENCH_WORKERS', 2)
const STEP = process.env.BENCH_STEP === 'wait' ? 'wait' : 'send'
const BUILD = process.env.BENCH_BUILD === '1'
const LATE_LIMIT_S = 60

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
    PORT: '0',
    WHATSAPP_GRAPH_URL: graphUrl,
    ...extra,
  }
  delete out.EMBEDDED_DB_DIR
  return out
}

function startWorker(name: string) {
  const log = createWriteStream(`${LOG_DIR}/${name}.log`)
  const child = BUILD
    ? spawn(process.execPath, ['bin/server.js'], {
        cwd: `${APP_ROOT}build`,
        env: env({ NODE_ENV: 'production', APP_ROLE: 'worker', APP_KEY: appKey() }),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(
        process.execPath,
        [
          ...(process.env.BENCH_CPU_PROF
            ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
            : []),
          '--import=ts-node-maintained/register/esm',
          '--disable-warning=ExperimentalWarning',
          'bin/server.ts',
        ],
        {
          cwd: APP_ROOT,
          env: env({ APP_ROLE: 'worker', APP_KEY: appKey() }),
          stdio: ['ignore', 'pipe', 'pipe'],
        }
      )
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  children.add(child)
  child.on('exit', () => children.delete(child))
  return child
}

async function prepare(db: pg.Client, graph: FakeGraphServer) {
  // A rate the Graph server takes: the send path, not WhatsApp's pacing, is measured.
  const { slug, schema, channelId } = await benchWhatsAppTenant(db, graph, env(), {
    slug: 'journeys-bench',
    name: 'Journeys',
    messagesPerSecond: 5000,
    template: {
      name: 'lesson',
      category: 'UTILITY',
      body: 'Hello {{1}}, here is this week’s lesson.',
      variables: 1,
    },
  })
  await db.query(
    `insert into ${schema}.contacts (phone, name, opt_in, marketing_consent, attributes, time_zone)
     select '+97150' || lpad(n::text, 7, '0'), 'Client ' || n, 'opted_in', 'opted_in', '{}', 'Asia/Dubai'
       from generate_series(1, $1::int) n`,
    [ENROLLMENTS]
  )
  await db.query(
    `insert into ${schema}.conversations (contact_id, channel_id, status)
     select id, $1, 'open' from ${schema}.contacts`,
    [channelId]
  )
  const first =
    STEP === 'send'
      ? {
          id: 'lesson',
          type: 'send',
          text: '',
          template: { name: 'lesson', language: 'en', variables: ['{{contact.name}}'] },
        }
      : { id: 'lesson', type: 'wait', amount: 7, unit: 'days', until: null }
  const steps = [first, { id: 'later', type: 'wait', amount: 7, unit: 'days', until: null }]
  const sequence = await db.query(
    `insert into ${schema}.sequences (name, status, channel_id, steps, quiet_start, quiet_end)
     values ('Weekly lesson', 'active', $1, $2::jsonb, null, null) returning id`,
    [channelId, JSON.stringify(steps)]
  )
  return { slug, schema, sequenceId: sequence.rows[0].id as string }
}

/** Enrollments and their first step, due spread over one minute starting at `dueFrom`. */
async function enroll(db: pg.Client, schema: string, sequenceId: string, dueFrom: Date) {
  await db.query(
    `insert into ${schema}.sequence_enrollments (sequence_id, contact_id, status, source, current_step, enrolled_at)
     select $1, id, 'active', 'api', 'lesson', now() from ${schema}.contacts`,
    [sequenceId]
  )
  await db.query(
    `insert into ${schema}.due_work (kind, dedupe_key, contact_id, ref_id, due_at, payload)
     select 'sequence.step', 'seq:' || e.id || ':lesson', e.contact_id, $1,
            $2::timestamptz + make_interval(secs => (row_number() over (order by e.id) % 60000) / 1000.0),
            jsonb_build_object('enrollmentId', e.id, 'stepId', 'lesson')
       from ${schema}.sequence_enrollments e`,
    [sequenceId, dueFrom]
  )
}

async function counts(db: pg.Client, schema: string) {
  const result = await db.query(
    `select count(*) filter (where status = 'done')::int as done,
            count(*) filter (where status = 'pending')::int as pending,
            count(*) filter (where status = 'claimed')::int as claimed,
            count(*) filter (where status = 'failed')::int as failed
       from ${schema}.due_work where dedupe_key like 'seq:%:lesson'`
  )
  return result.rows[0] as { done: number; pending: number; claimed: number; failed: number }
}

async function main() {
  mkdirSync(LOG_DIR, { recursive: true })
  const graph = await new FakeGraphServer().start()
  graphUrl = graph.url
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true })
  await redis.connect()
  let db: pg.Client | null = null
  let failed = false
  try {
    await flushQueuePrefix(redis, QUEUE_PREFIX)
    await recreateDatabase(DATABASE_URL)
    if (BUILD) {
      const built = await ace(['build'], env())
      if (built.status !== 0)
        throw new Error(`node ace build failed:\n${built.stdout}${built.stderr}`)
    }
    const migrated = await ace(['migration:run', '--force'], env())
    if (migrated.status !== 0) throw new Error(`migration:run failed:\n${migrated.stderr}`)
    db = new pg.Client({ connectionString: DATABASE_URL })
    await db.connect()
    const { schema, sequenceId } = await prepare(db, graph)
    console.log(
      `bench:journeys — ${ENROLLMENTS} enrollments, step "${STEP}" due within one minute, ${WORKERS} worker process(es), one SIGKILLed halfway, native PostgreSQL, local Graph server`
    )
    const workers = Array.from({ length: WORKERS }, (_, i) => startWorker(`worker-${i + 1}`))
    // Due from the start of a minute far enough ahead for the workers to boot.
    const dueFrom = new Date(Math.ceil((Date.now() + 45_000) / 60_000) * 60_000)
    await enroll(db, schema, sequenceId, dueFrom)
    console.log(
      `  due from ${dueFrom.toISOString()} to ${new Date(dueFrom.getTime() + 59_999).toISOString()}`
    )

    let killedAt: number | null = null
    const deadline = dueFrom.getTime() + 60_000 + 5 * 60_000
    let last = { done: 0, pending: ENROLLMENTS, claimed: 0, failed: 0 }
    while (Date.now() < deadline) {
      last = await counts(db, schema)
      if (killedAt === null && last.done >= ENROLLMENTS / 2) {
        workers[0].kill('SIGKILL')
        killedAt = last.done
        console.log(
          `  worker 1 SIGKILLed at ${last.done} steps done (${last.claimed} claimed); a new one starts`
        )
        workers[0] = startWorker('worker-1b')
      }
      if (last.done + last.failed >= ENROLLMENTS) break
      await sleep(500)
    }
    // Let the delivery jobs of the last sends reach Graph.
    if (STEP === 'send') {
      const waitUntil = Date.now() + 60_000
      while (Date.now() < waitUntil && graph.sends().length < ENROLLMENTS) await sleep(500)
    }

    const late = await db.query(
      `select extract(epoch from (updated_at - due_at)) as late from ${schema}.due_work
        where dedupe_key like 'seq:%:lesson' and status = 'done' order by 1`
    )
    const lateness = late.rows.map((row) => Number(row.late))
    const over = lateness.filter((s) => s > LATE_LIMIT_S).length
    const notDone = ENROLLMENTS - last.done
    const reclaimed = await db.query(
      `select count(*)::int as n from ${schema}.due_work where dedupe_key like 'seq:%:lesson' and attempts > 1`
    )
    const moved = await db.query(
      `select count(*)::int as n from ${schema}.sequence_enrollments where current_step is distinct from 'lesson'`
    )
    let duplicates = 0
    let unsent = 0
    let graphDuplicates = 0
    let graphMisses = 0
    if (STEP === 'send') {
      const perContact = await db.query(
        `select count(*) filter (where n > 1)::int as dup_contacts, coalesce(sum(n - 1) filter (where n > 1), 0)::int as extra
           from (select contact_id, count(*) as n from ${schema}.messages where direction = 'outbound' group by contact_id) m`
      )
      duplicates = perContact.rows[0].extra
      const sentTo = await db.query(
        `select count(distinct contact_id)::int as n from ${schema}.messages where direction = 'outbound'`
      )
      unsent = ENROLLMENTS - sentTo.rows[0].n
      const seen = new Map<string, number>()
      for (const send of graph.sends()) seen.set(send.body?.to, (seen.get(send.body?.to) ?? 0) + 1)
      for (const n of seen.values()) if (n > 1) graphDuplicates += n - 1
      // A stored message whose request never reached Graph is a miss too.
      graphMisses = ENROLLMENTS - seen.size
    }

    // The floor: one bare UPDATE per row over the same rows, from this process.
    await db.query(
      `update ${schema}.due_work set status = 'pending' where dedupe_key like 'seq:%:lesson'`
    )
    const ids = (
      await db.query(`select id from ${schema}.due_work where dedupe_key like 'seq:%:lesson'`)
    ).rows
    const floorStart = Date.now()
    const lanes = 8
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: lanes })
    let next = 0
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < ids.length) {
          const id = ids[next++].id
          await pool.query(`update ${schema}.due_work set status = 'done' where id = $1`, [id])
        }
      })
    )
    await pool.end()
    const floorS = (Date.now() - floorStart) / 1000

    const fmt = (s: number) => `${s.toFixed(1)} s`
    console.log(`  steps run: ${last.done} of ${ENROLLMENTS} (failed ${last.failed})`)
    console.log(
      `  lateness after due: p50 ${fmt(percentile(lateness, 50))}, p99 ${fmt(percentile(lateness, 99))}, max ${fmt(lateness[lateness.length - 1] ?? Number.NaN)}; more than ${LATE_LIMIT_S} s late: ${over}`
    )
    console.log(`  enrollments moved past the step: ${moved.rows[0].n}`)
    console.log(`  steps claimed again after the kill (lease lapsed): ${reclaimed.rows[0].n}`)
    if (STEP === 'send') {
      console.log(
        `  duplicates: ${duplicates} extra messages stored, ${graphDuplicates} extra sends at Graph`
      )
      console.log(
        `  misses: ${notDone} steps not run, ${unsent} contacts with no message stored, ${graphMisses} contacts Graph never got; Graph saw ${graph.sends().length} sends`
      )
    } else {
      console.log(`  misses: ${notDone} steps not run`)
    }
    console.log(
      `  floor: ${ids.length} single-row updates from one process with ${lanes} connections in ${fmt(floorS)} (${Math.round(ids.length / floorS)}/s)`
    )
    const ok =
      notDone === 0 &&
      over === 0 &&
      duplicates === 0 &&
      graphDuplicates === 0 &&
      unsent === 0 &&
      graphMisses === 0 &&
      killedAt !== null
    console.log(
      `  ${ok ? 'PASS' : 'FAIL'}: all run within ${LATE_LIMIT_S} s of due, 0 duplicates, 0 misses, a worker killed halfway`
    )
    if (!ok) failed = true
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
