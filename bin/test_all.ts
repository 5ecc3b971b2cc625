/*
|--------------------------------------------------------------------------
| `npm test`: the whole suite, in parallel lanes
|--------------------------------------------------------------------------
|
| The suite is a few hundred files, most of them making tenants (a schema
| and every tenant migration each), and one process runs them one after
| another on one core. This splits the spec files over lanes, one
| `node ace test` process per lane, each with a database of its own, so two
| lanes never see each other's rows, plans or rate limits:
|
| - embedded mode (no DATABASE_URL): lane 0 uses the usual test data
|   directory, lane N `<dir>-laneN`, each its own PGlite;
| - server mode: lane 0 uses DATABASE_URL, lane N a fresh `<db>_laneN` on
|   the same server (dropped and made again each run). A server that refuses
|   CREATE DATABASE gets one lane, with a line saying so.
|
| Redis keys carry a prefix made from the database's id (config/queue.ts),
| so lanes share the server without sharing keys. Each lane gets its own free
| HTTP port.
|
| `npm test` runs every suite; `npm test -- unit functional` those suites.
| Anything else (`--files`, `--tests`, `--grep`...) goes straight to one
| `node ace test`, as does TEST_LANES=1. TEST_LANES=N sets the lane count
| (default: the machine's cores, at most 4). Each lane's output is printed
| whole when it ends, with a progress line every minute meanwhile; the run
| fails when any lane fails.
*/

import { spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { mkdirSync, readdirSync, readFileSync, statSync, createWriteStream } from 'node:fs'
import { join, relative } from 'node:path'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const SUITES = ['unit', 'functional', 'browser'] as const
type Suite = (typeof SUITES)[number]

/**
 * How long a file takes, roughly, per byte of its source, in milliseconds:
 * unit specs are plain logic, functional ones make tenants and call the
 * app, browser ones drive Chromium through pages. Measured on a clean
 * clone's embedded run (2026-12-07). For a file tests/lane_times.json does
 * not know yet. Only the lanes' balance depends on it.
 */
const MS_PER_BYTE: Record<Suite, number> = { unit: 0.017, functional: 0.79, browser: 3.7 }

/**
 * Seconds each spec file took in that run (the sum of its tests), which
 * balances the lanes better than sizes do. Refresh it after a run that
 * moved the times a lot: the durations Japa prints per test, summed per file.
 */
function measuredTimes(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'tests', 'lane_times.json'), 'utf8'))
  } catch {
    return {}
  }
}

interface Lane {
  index: number
  files: string[]
  weight: number
  env: Record<string, string>
}

function specFiles(suite: Suite): string[] {
  const found: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (/\.spec\.(ts|js)$/.test(entry.name)) found.push(relative(ROOT, path))
    }
  }
  walk(join(ROOT, 'tests', suite))
  return found.sort()
}

/** Longest first, each to the lightest lane so far. */
function balance(suites: Suite[], count: number): Lane[] {
  const lanes: Lane[] = Array.from({ length: count }, (_, index) => ({
    index,
    files: [],
    weight: 0,
    env: {},
  }))
  const times = measuredTimes()
  const weighted = suites.flatMap((suite) =>
    specFiles(suite).map((file) => ({
      file,
      weight: times[file]
        ? times[file] * 1000
        : statSync(join(ROOT, file)).size * MS_PER_BYTE[suite],
    }))
  )
  weighted.sort((a, b) => b.weight - a.weight)
  for (const { file, weight } of weighted) {
    const lightest = lanes.reduce((min, lane) => (lane.weight < min.weight ? lane : min))
    lightest.files.push(file)
    lightest.weight += weight
  }
  return lanes.filter((lane) => lane.files.length > 0)
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject()
      )
    })
  })
}

/**
 * A fresh database per extra lane on the server DATABASE_URL names; null
 * when the server refuses (the run then keeps to one lane).
 */
async function laneDatabases(databaseUrl: string, count: number): Promise<string[] | null> {
  const base = new URL(databaseUrl)
  const name = decodeURIComponent(base.pathname.replace(/^\//, ''))
  if (!name) return null
  const client = new pg.Client({ connectionString: databaseUrl })
  try {
    await client.connect()
    const urls: string[] = []
    for (let index = 1; index < count; index++) {
      const laneName = `${name}_lane${index}`
      const ident = `"${laneName.replaceAll('"', '""')}"`
      await client.query(`drop database if exists ${ident} with (force)`)
      await client.query(`create database ${ident}`)
      const url = new URL(databaseUrl)
      url.pathname = `/${encodeURIComponent(laneName)}`
      urls.push(url.toString())
    }
    return urls
  } catch (error) {
    console.log(`one lane: cannot make a database per lane (${(error as Error).message})`)
    return null
  } finally {
    await client.end().catch(() => {})
  }
}

function runPlain(args: string[]): never | void {
  const child = spawn(process.execPath, ['ace', 'test', ...args], {
    cwd: ROOT,
    stdio: 'inherit',
  })
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

interface LaneResult {
  lane: Lane
  code: number
  passed: number
  failed: number
  summary: string
  seconds: number
}

function runLane(lane: Lane, suites: Suite[], logDir: string): Promise<LaneResult> {
  const started = Date.now()
  const logPath = join(logDir, `lane${lane.index}.log`)
  const log = createWriteStream(logPath)
  const args = ['ace', 'test', ...suites, ...lane.files.flatMap((file) => ['--files', file])]
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...lane.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const take = (chunk: Buffer) => {
    const text = chunk.toString()
    output += text
    log.write(text)
  }
  child.stdout.on('data', take)
  child.stderr.on('data', take)

  const count = (mark: string) => output.split(mark).length - 1
  const ticker = setInterval(() => {
    const minutes = Math.round((Date.now() - started) / 60_000)
    console.log(
      `lane ${lane.index}: ${count('✔')} passed, ${count('✖')} failed after ${minutes} min`
    )
  }, 60_000)

  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearInterval(ticker)
      log.end()
      // eslint-disable-next-line no-control-regex
      const plain = output.replace(/\u001b\[[0-9;]*m/g, '')
      const summary =
        plain
          .match(/Tests\s+[^\n]*/g)
          ?.at(-1)
          ?.trim() ?? 'no summary printed'
      console.log(`\n===== lane ${lane.index} (${lane.files.length} files) =====`)
      process.stdout.write(output)
      resolve({
        lane,
        code: code ?? (signal ? 1 : 0),
        passed: Number(summary.match(/(\d+) passed/)?.[1] ?? 0),
        failed: Number(summary.match(/(\d+) failed/)?.[1] ?? 0),
        summary,
        seconds: Math.round((Date.now() - started) / 1000),
      })
    })
  })
}

async function main() {
  const args = process.argv.slice(2)
  const suites = args.filter((arg): arg is Suite => (SUITES as readonly string[]).includes(arg))
  const wanted = Number(process.env.TEST_LANES ?? Math.min(availableParallelism(), 4))
  if (suites.length !== args.length || !(wanted > 1)) return runPlain(args)

  const chosen = suites.length ? suites : [...SUITES]
  const lanes = balance(chosen, wanted)
  const databaseUrl = process.env.DATABASE_URL
  if (databaseUrl) {
    const extra = await laneDatabases(databaseUrl, lanes.length)
    if (!extra) return runPlain(args)
    lanes.forEach((lane, index) => {
      if (index > 0) lane.env.DATABASE_URL = extra[index - 1]
    })
  } else {
    const dataDir = process.env.EMBEDDED_DB_DIR || 'tmp/db-test'
    lanes.forEach((lane, index) => {
      if (index > 0) lane.env.EMBEDDED_DB_DIR = `${dataDir}-lane${index}`
    })
  }
  for (const lane of lanes) lane.env.PORT = String(await freePort())

  const logDir = join(ROOT, 'tmp', 'test-lanes')
  mkdirSync(logDir, { recursive: true })
  console.log(
    `${chosen.join(', ')}: ${lanes.reduce((n, lane) => n + lane.files.length, 0)} files in ` +
      `${lanes.length} lanes (${databaseUrl ? 'PostgreSQL server' : 'embedded database'}); ` +
      `logs in ${relative(ROOT, logDir)}`
  )
  const results = await Promise.all(lanes.map((lane) => runLane(lane, chosen, logDir)))

  console.log('\n===== all lanes =====')
  for (const result of results) {
    console.log(
      `lane ${result.lane.index}: ${result.summary} in ${result.seconds} s (exit ${result.code})`
    )
  }
  const passed = results.reduce((n, result) => n + result.passed, 0)
  const failed = results.reduce((n, result) => n + result.failed, 0)
  const worst = results.find((result) => result.code !== 0)
  console.log(`Tests ${passed} passed, ${failed} failed in ${results.length} lanes`)
  process.exit(worst ? worst.code || 1 : 0)
}

await main()
