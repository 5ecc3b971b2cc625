/*
| npm run bench:data
|
| On the native PostgreSQL at BENCH_DATABASE_URL (default
| postgres://postgres@127.0.0.1:5432/flomastr_data_bench), in the database
| BENCH_DB_NAME when set (so engineers sharing a server do not drop each
| other's), recreated for the run: a listings CSV of BENCH_ROWS (default 100,000) rows imported through
| the real path (stored file, draft, confirm, runImport: parsing, typing,
| full-text words, local vectors, upserts, the HNSW index), timed end to
| end; then BENCH_QUERIES (default 200) natural-language searches
| (searchDataset: parse, filters, full text and vectors fused), p50 and p95.
*/
import 'reflect-metadata'
import { execFileSync, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ignitor } from '@adonisjs/core'

const APP_ROOT = new URL('../../', import.meta.url)
const nativeUrl = (() => {
  const url = new URL(
    process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_data_bench'
  )
  const name = process.env.BENCH_DB_NAME
  if (name) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`BENCH_DB_NAME: not a name: ${name}`)
    url.pathname = `/${name}`
  }
  return url.href
})()
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000)
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200)

function runParent() {
  const admin = new URL(nativeUrl)
  const dbName = admin.pathname.slice(1)
  admin.pathname = '/postgres'
  if (!process.env.BENCH_SEARCH_ONLY)
    execFileSync('psql', [
      admin.href,
      '-qc',
      `drop database if exists ${dbName}`,
      '-c',
      `create database ${dbName}`,
    ])
  console.log(
    `bench:data — native PostgreSQL, ${ROWS.toLocaleString('en')} rows, ${QUERIES} searches\n`
  )
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: nativeUrl,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    AI_BASE_URL: '',
    AI_EMBED_MODEL: '',
    MEDIA_DIR: 'tmp/bench-media',
  }
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child'],
    { cwd: fileURLToPath(APP_ROOT), env, stdio: ['ignore', 'inherit', 'inherit'] }
  )
  if (child.status !== 0) {
    console.error('bench:data failed')
    process.exitCode = 1
  }
}

async function runChild() {
  const ignitor = new Ignitor(APP_ROOT, {
    importer: (path) => import(path.startsWith('.') ? new URL(path, APP_ROOT).href : path),
  })
  const app = ignitor.createApp('console')
  await app.init()
  await app.boot()
  await app.start(async () => {})

  const { MigrationRunner } = await import('@adonisjs/lucid/migration')
  const { default: db } = await import('@adonisjs/lucid/services/db')
  const { default: drive } = await import('@adonisjs/drive/services/main')
  const { provisionTenant, systemActor, contextFor } = await import('#modules/tenancy/index')
  const data = await import('#modules/data_engine/index')
  const { listingsCsv, LISTING_SETTINGS, LISTING_HEADERS, COMMUNITIES, FEATURES } =
    await import('#tests/helpers/datasets')
  const runner = new MigrationRunner(db, app, { direction: 'up' })
  await runner.run()
  if (runner.error) throw runner.error

  if (process.env.BENCH_SEARCH_ONLY) {
    const { Tenant } = await import('#modules/tenancy/index')
    const tenant = await Tenant.findByOrFail('slug', 'bench-data')
    const context = contextFor(tenant)
    const {
      data: [dataset],
    } = await data.listDatasets(context)
    await searches(data, context, dataset, COMMUNITIES, FEATURES)
    await app.terminate()
    return
  }
  const tenant = await provisionTenant({ slug: 'bench-data', name: 'Bench data' }, systemActor)
  const context = contextFor(tenant)
  const csv = Buffer.from(listingsCsv(ROWS))
  console.log(`CSV: ${(csv.length / 1024 / 1024).toFixed(1)} MB`)

  console.log(
    `load average: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} on ${cpus().length} cores`
  )
  const started = performance.now()
  const draft = await data.createDraftFromFile(context, {
    name: 'Listings',
    file: { bytes: csv, filename: 'listings.csv' },
  })
  await data.confirmDraft(context, draft.id, { keyColumn: 'ref', columns: LISTING_SETTINGS })
  const job = await data.latestImport(context, draft.id)
  const timings = { read: 0, prepare: 0, writeWait: 0, finish: 0 }
  const done = await data.runImport(context, job!.id, { timings })
  const seconds = (performance.now() - started) / 1000
  console.log(
    `import: ${done!.inserted.toLocaleString('en')} rows in ${seconds.toFixed(1)} s ` +
      `(${Math.round(done!.inserted / seconds).toLocaleString('en')} rows/s, ${done!.errorCount} errors)`
  )
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  console.log(
    `  read and type ${s(timings.read)} · words and vectors ${s(timings.prepare)} · ` +
      `waiting on writes ${s(timings.writeWait)} · indexes and stats ${s(timings.finish)}`
  )
  // The floor: the same CSV loaded by COPY into a bare table of text columns
  // (no types, indexes, upsert, words or vectors): what the server alone
  // needs for the bytes. The import's time over it is what our path adds.
  const floor = copyFloor(csv, LISTING_HEADERS)
  console.log(
    `floor (psql COPY of the CSV into text columns, no indexes): ${floor.toFixed(1)} s   ` +
      `import / floor: ${(seconds / floor).toFixed(1)}x   target ≤ 60 s: ${seconds <= 60 ? 'met' : 'NOT met'}`
  )
  const dataset = (await data.findDataset(context, draft.id))!
  console.log(`stored: ${(dataset.sizeBytes / 1024 / 1024).toFixed(1)} MB`)
  await context.transaction((trx) => trx.rawQuery(`analyze ${dataset.rowTable}`))
  await searches(data, context, dataset, COMMUNITIES, FEATURES)
  await drive.use().deleteAll(`datasets/${tenant.id}`)
  await app.terminate()
}

/**
 * Seconds psql's \\copy takes to load the CSV into a bare table of text
 * columns (no types, indexes, words or vectors): the server's floor for
 * these bytes on this machine, now.
 */
function copyFloor(csv: Buffer, headers: string[]) {
  const file = join(tmpdir(), `bench-data-${process.pid}.csv`)
  writeFileSync(file, csv)
  const psql = (sql: string) => execFileSync('psql', [nativeUrl, '-qc', sql])
  try {
    psql(`create table if not exists bench_floor (${headers.map((h) => `${h} text`).join(', ')})`)
    const started = performance.now()
    psql(`\\copy bench_floor from '${file}' with (format csv, header true)`)
    return (performance.now() - started) / 1000
  } finally {
    psql('drop table if exists bench_floor')
    rmSync(file, { force: true })
  }
}

async function searches(
  data: any,
  context: any,
  dataset: any,
  COMMUNITIES: string[],
  FEATURES: string[]
) {
  let seed = 7
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]
  const shapes = [
    () =>
      `${1 + Math.floor(random() * 4)}br ${pick(FEATURES)} ${pick(COMMUNITIES)} under ${100 + Math.floor(random() * 200)}k`,
    () => `villa in ${pick(COMMUNITIES)} with ${pick(FEATURES)}`,
    () =>
      `apartment between ${50 + Math.floor(random() * 50)}k and ${150 + Math.floor(random() * 100)}k`,
    () => `شقة غرفتين في ${pick(COMMUNITIES)} أقل من 150 ألف`,
    () => `${pick(FEATURES)} ${pick(['bright', 'quiet', 'family', 'modern'])} home`,
    () => `studio ${pick(COMMUNITIES)}`,
  ]
  const queries = Array.from({ length: QUERIES }, (_, i) => shapes[i % shapes.length]())
  // The floor: per query, the bare single statement on the same table that
  // the parsed filters alone make (no ranking, no parse), on the same pool.
  const { default: db } = await import('@adonisjs/lucid/services/db')
  const { searchStatement } = await import('#modules/data_engine/services/dataset_search')
  const bare = queries.map((q) =>
    searchStatement(context, dataset, data.parseQuery(q, dataset.columns).filters, {
      tsquery: null,
      vector: null,
      vectorSchema: null,
      k: 10,
    })
  )
  for (const q of queries.slice(0, 10)) await data.searchDataset(context, dataset, q)
  for (const statement of bare.slice(0, 10)) await db.rawQuery(statement.sql, statement.bindings)
  const samples: number[] = []
  const floors: number[] = []
  const byShape = new Map<number, number[]>()
  for (const [i, q] of queries.entries()) {
    const t = performance.now()
    await data.searchDataset(context, dataset, q)
    const ms = performance.now() - t
    samples.push(ms)
    byShape.set(i % shapes.length, [...(byShape.get(i % shapes.length) ?? []), ms])
    const f = performance.now()
    await db.rawQuery(bare[i].sql, bare[i].bindings as any[])
    floors.push(performance.now() - f)
  }
  if (process.env.BENCH_VERBOSE) {
    for (const [shape, list] of byShape) {
      list.sort((a, b) => a - b)
      console.log(
        `  shape ${shape} (${queries[shape]}): p50 ${list[Math.floor(list.length / 2)].toFixed(1)} max ${list.at(-1)!.toFixed(1)}`
      )
    }
  }
  samples.sort((a, b) => a - b)
  floors.sort((a, b) => a - b)
  const at = (list: number[], p: number) =>
    list[Math.min(list.length - 1, Math.floor(p * list.length))]
  const p95 = at(samples, 0.95)
  console.log(
    `search: p50 ${at(samples, 0.5).toFixed(1)} ms   p95 ${p95.toFixed(1)} ms   ` +
      `max ${samples.at(-1)!.toFixed(1)} ms   target p95 ≤ 50 ms: ${p95 <= 50 ? 'met' : 'NOT met'}`
  )
  console.log(
    `floor (the filters alone as one bare statement on the same table): p50 ${at(floors, 0.5).toFixed(1)} ms   ` +
      `p95 ${at(floors, 0.95).toFixed(1)} ms   search / floor at p50: ${(at(samples, 0.5) / at(floors, 0.5)).toFixed(1)}x, ` +
      `at p95: ${(p95 / at(floors, 0.95)).toFixed(1)}x`
  )
  console.log(
    `load average: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')} on ${cpus().length} cores`
  )
}

if (process.argv.includes('--child')) {
  await runChild()
} else {
  runParent()
}
