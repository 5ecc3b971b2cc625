/*
| npm run bench:tenancy
|
| On each database mode (embedded PGlite, and the native PostgreSQL at
| BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/flomastr_bench,
| recreated for the run): the time to provision one tenant (schema, tenant
| migrations, owner) and the wall time of `node ace tenants:migrate` bringing
| 200 fresh tenant schemas to the latest migration.
*/
import 'reflect-metadata'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ignitor } from '@adonisjs/core'

const APP_ROOT = new URL('../../', import.meta.url)
const TENANTS = Number(process.env.BENCH_TENANTS ?? 200)
const PROVISION_SAMPLES = 5
const nativeUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/flomastr_bench'

if (process.argv.includes('--child')) {
  await runChild()
} else {
  runParent()
}

function runParent() {
  const modes: Array<{ name: string; env: Record<string, string | undefined> }> = [
    {
      name: 'embedded (PGlite)',
      env: { DATABASE_URL: undefined, EMBEDDED_DB_DIR: 'tmp/bench-db' },
    },
    { name: 'native PostgreSQL', env: { DATABASE_URL: nativeUrl } },
  ]
  rmSync(fileURLToPath(new URL('tmp/bench-db', APP_ROOT)), { recursive: true, force: true })
  const admin = new URL(nativeUrl)
  const dbName = admin.pathname.slice(1)
  admin.pathname = '/postgres'
  execFileSync('psql', [
    admin.href,
    '-qc',
    `drop database if exists ${dbName}`,
    '-c',
    `create database ${dbName}`,
  ])

  console.log(`bench:tenancy — ${TENANTS} tenants for tenants:migrate\n`)
  for (const mode of modes) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...mode.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
    }
    for (const [key, value] of Object.entries(mode.env)) if (value === undefined) delete env[key]
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--child'],
      {
        cwd: fileURLToPath(APP_ROOT),
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      }
    )
    if (child.status !== 0) {
      console.error(`${mode.name}: bench failed`)
      process.exitCode = 1
      continue
    }
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!)
    console.log(`${mode.name}`)
    console.log(
      `  provision one tenant   median ${result.provisionMedianMs} ms (first ${result.provisionFirstMs} ms, ${PROVISION_SAMPLES} samples)`
    )
    console.log(
      `  tenants:migrate x${TENANTS}   ${result.migrateMs} ms wall (${result.perTenantMs} ms per tenant, exit ${result.migrateExit})`
    )
  }
  rmSync(fileURLToPath(new URL('tmp/bench-db', APP_ROOT)), { recursive: true, force: true })
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
  const { provisionTenant, systemActor, schemaNameFor, Tenant } =
    await import('#modules/tenancy/index')
  const runner = new MigrationRunner(db, app, { direction: 'up' })
  await runner.run()
  if (runner.error) throw runner.error

  const samples: number[] = []
  for (let i = 0; i < PROVISION_SAMPLES; i++) {
    const started = performance.now()
    await provisionTenant(
      {
        slug: `bench-p${i}`,
        name: `Bench ${i}`,
        owner: { email: `owner${i}@bench.test`, password: 'secret-pass-1' },
      },
      systemActor
    )
    samples.push(performance.now() - started)
  }

  // Tenants whose schemas do not exist yet: tenants:migrate creates and migrates each.
  const rows = Array.from({ length: TENANTS }, (_, i) => ({
    slug: `bench-m${i}`,
    name: `Bench M${i}`,
    schemaName: schemaNameFor(`bench-m${i}`),
    status: 'active' as const,
  }))
  await Tenant.createMany(rows)

  // Asynchronously: in embedded mode this process serves the database the
  // command connects to, so blocking here (spawnSync) would deadlock both.
  const started = performance.now()
  const migrate = await runAsync(process.execPath, ['ace', 'tenants:migrate', '--concurrency', '4'])
  const migrateMs = performance.now() - started
  if (migrate.status !== 0) process.stderr.write(migrate.stderr)

  const sorted = [...samples].sort((a, b) => a - b)
  console.log(
    JSON.stringify({
      provisionFirstMs: Math.round(samples[0]),
      provisionMedianMs: Math.round(sorted[Math.floor(sorted.length / 2)]),
      migrateMs: Math.round(migrateMs),
      perTenantMs: Math.round((migrateMs / TENANTS) * 10) / 10,
      migrateExit: migrate.status,
    })
  )
  await app.terminate()
}

function runAsync(command: string, args: string[]) {
  return new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn(command, args, {
      cwd: fileURLToPath(APP_ROOT),
      env: process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('exit', (status) => resolve({ status, stderr }))
  })
}
