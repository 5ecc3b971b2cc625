/*
| npm run bench:import
|
| On the native PostgreSQL at BENCH_DATABASE_URL (default
| postgres://postgres@127.0.0.1:5432/flomastr_import_bench, recreated for
| the run): a contacts CSV of BENCH_ROWS (default 100,000) rows, Arabic and
| English names, national UAE numbers, e-mails, tags, language, consent and
| three custom fields, 2% repeated phones and 1% bad ones, imported through
| the real path (stored file, mapping, runContactImport: streaming parse,
| phone normalisation, checks, set-wise upserts, progress and the error
| report), timed end to end; then the same file again (every row merges
| into an existing contact). The floor: the same contacts, already clean,
| inserted by a plain `pg` client into a copy of the contacts table with
| multi-row unnest INSERTs of the same batch size, and the ratio.
*/
import 'reflect-metadata'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { mkdtemp, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { Ignitor } from '@adonisjs/core'
import { recreateDatabase } from './bench_support.js'

const APP_ROOT = new URL('../../', import.meta.url)
const nativeUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_import_bench'
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000)
const BATCH = 2000

async function runParent() {
  await recreateDatabase(nativeUrl)
  console.log(`bench:import — native PostgreSQL, ${ROWS.toLocaleString('en')} rows\n`)
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child'],
    {
      cwd: fileURLToPath(APP_ROOT),
      env: {
        ...process.env,
        DATABASE_URL: nativeUrl,
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        MEDIA_DIR: 'tmp/bench-media',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    }
  )
  if (child.status !== 0) {
    console.error('bench:import failed')
    process.exitCode = 1
  }
  await recreateDatabase(nativeUrl, true)
}

const FIRST = ['Sara', 'Omar', 'Lina', 'Yousef', 'سارة', 'عمر', 'ليلى', 'يوسف', 'Maya', 'خالد']
const LAST = ['Haddad', 'Khan', 'Nasser', 'الحمدان', 'الشامسي', 'Smith', 'المنصوري', 'Patel']
const AREAS = ['JLT', 'Marina', 'Downtown', 'مرسى دبي']

function contactsCsv(rows: number) {
  const lines = ['Name,Mobile,Email,Tags,Language,Marketing consent,Area,Policy ends,Premium']
  for (let i = 0; i < rows; i++) {
    // Every 50th row repeats an earlier phone; every 100th is not a number.
    const n = i % 50 === 49 ? i - 7 : i
    const phone = i % 100 === 99 ? 'n/a' : `05${String(n).padStart(8, '0')}`
    const name = `${FIRST[i % FIRST.length]} ${LAST[i % LAST.length]}`
    const month = String((i % 12) + 1).padStart(2, '0')
    lines.push(
      [
        name,
        phone,
        `person${i}@example.com`,
        `"lead,batch ${i % 20}"`,
        i % 3 ? 'en' : 'ar',
        i % 4 ? 'yes' : 'no',
        AREAS[i % AREAS.length],
        `2027-${month}-15`,
        String(500 + (i % 700)),
      ].join(',')
    )
  }
  return lines.join('\n') + '\n'
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
  const inbox = await import('#modules/inbox/index')
  const { defineContactFields } = await import('#tests/helpers/contact_fields')
  const runner = new MigrationRunner(db, app, { direction: 'up' })
  await runner.run()
  if (runner.error) throw runner.error

  const tenant = await provisionTenant({ slug: 'bench-import', name: 'Bench import' }, systemActor)
  const context = contextFor(tenant)
  await defineContactFields(context, [
    { key: 'area', label: 'Area', type: 'choice', choices: AREAS },
    { key: 'policy_ends', label: 'Policy ends', type: 'date' },
    { key: 'premium', label: 'Premium', type: 'number' },
  ])
  const dir = await mkdtemp(join(tmpdir(), 'bench-import-'))
  const path = join(dir, 'contacts.csv')
  const csv = contactsCsv(ROWS)
  await writeFile(path, csv)
  console.log(`CSV: ${(Buffer.byteLength(csv) / 1024 / 1024).toFixed(1)} MB`)

  const importOnce = async () => {
    const started = performance.now()
    const upload = await inbox.uploadContactImport(
      context,
      { path, fileName: 'contacts.csv' },
      null
    )
    // As the form would: the guessed mapping, UAE as the default country.
    const queued = await inbox.findContactImport(context, upload.id)
    await context.transaction((trx) =>
      trx.rawQuery(
        `update contact_imports set status = 'queued', default_country = 'AE', label = 'bench' where id = ?`,
        [queued!.id]
      )
    )
    const done = (await inbox.runContactImport(context, upload.id))!
    return { done, seconds: (performance.now() - started) / 1000 }
  }

  const first = await importOnce()
  const rate = Math.round(first.done.processed / first.seconds)
  console.log(
    `import (new contacts): ${first.done.processed.toLocaleString('en')} rows in ` +
      `${first.seconds.toFixed(1)} s = ${rate.toLocaleString('en')} rows/s ` +
      `(created ${first.done.created.toLocaleString('en')}, merged ${first.done.updated.toLocaleString('en')}, ` +
      `repeated in the file ${first.done.repeated.toLocaleString('en')}, ` +
      `refused ${first.done.errorCount.toLocaleString('en')})`
  )
  const second = await importOnce()
  console.log(
    `import again (every row merges): ${second.seconds.toFixed(1)} s = ` +
      `${Math.round(second.done.processed / second.seconds).toLocaleString('en')} rows/s ` +
      `(created ${second.done.created}, merged ${second.done.updated.toLocaleString('en')})`
  )

  // The floor: the same contacts, clean, into a copy of the table with a plain pg client.
  const clean = await context.transaction(async (trx) => {
    const result = await trx.rawQuery('select phone, name, email, tags from contacts')
    return result.rows as Array<{ phone: string; name: string; email: string; tags: string[] }>
  })
  const client = new pg.Client({ connectionString: nativeUrl })
  await client.connect()
  const schema = `tenant_${tenant.slug.replace(/-/g, '_')}`
  await client.query(`set search_path to "${schema}", public`)
  await client.query('create table floor_contacts (like contacts including all)')
  const floorStarted = performance.now()
  for (let i = 0; i < clean.length; i += BATCH) {
    const slice = clean.slice(i, i + BATCH)
    await client.query(
      `insert into floor_contacts (phone, wa_id, name, email, tags)
       select p, substr(p, 2), n, e, string_to_array(t, ',')
         from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as u(p, n, e, t)`,
      [
        slice.map((row) => row.phone),
        slice.map((row) => row.name),
        slice.map((row) => row.email),
        slice.map((row) => row.tags.join(',')),
      ]
    )
  }
  const floorSeconds = (performance.now() - floorStarted) / 1000
  await client.end()
  console.log(
    `floor (plain pg, ${clean.length.toLocaleString('en')} clean rows, unnest INSERTs of ${BATCH}): ` +
      `${floorSeconds.toFixed(1)} s = ${Math.round(clean.length / floorSeconds).toLocaleString('en')} rows/s`
  )
  console.log(
    `ratio import / floor: ${(first.seconds / floorSeconds).toFixed(1)}x ` +
      `(target: ${ROWS.toLocaleString('en')} rows in ≤ 60 s: ${first.seconds <= (60 * ROWS) / 100_000 ? 'met' : 'MISSED'})`
  )
  await drive.use().deleteAll(`contact-imports/${tenant.id}`)
  await rm(dir, { recursive: true, force: true })
  await app.terminate()
}

if (process.argv.includes('--child')) {
  await runChild()
} else {
  await runParent()
}
