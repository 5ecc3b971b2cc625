/*
| What the benches that run the app as separate processes share: reading
| numbers from the environment, the app key, `node ace` as a child, a free
| port, percentiles, and a scratch database and queue prefix of their own.
*/
import { spawn, type ChildProcess } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { Redis } from 'ioredis'

export const APP_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** A positive number from the environment, or `fallback`. */
export function positive(name: string, fallback: number) {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

/** The app key secrets are encrypted with: the environment's, else .env's. */
export function appKey() {
  if (process.env.APP_KEY) return process.env.APP_KEY
  const line = readFileSync(`${APP_ROOT}.env`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('APP_KEY='))
  const key = line?.slice('APP_KEY='.length).trim()
  if (!key)
    throw new Error('APP_KEY is not set and .env has none: run `node ace` once to write .env')
  return key
}

export interface AceRun {
  status: number | null
  stdout: string
  stderr: string
}

/** `node ace ...`, asynchronously (never block the event loop on a child). */
export function ace(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<AceRun>((resolve) => {
    const child = spawn(process.execPath, ['ace', ...args], {
      cwd: APP_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('exit', (status) => resolve({ status, stdout, stderr }))
  })
}

/** `node ace <command> --json`: the last JSON line it printed, or an error with its output. */
export async function aceJson(args: string[], env: NodeJS.ProcessEnv) {
  const result = await ace([...args, '--json'], env)
  const line = result.stdout
    .split('\n')
    .map((l) => l.trim())
    .reverse()
    .find((l) => l.startsWith('{'))
  if (result.status !== 0 || !line) {
    throw new Error(
      `node ace ${args[0]} failed (${result.status}):\n${result.stdout}${result.stderr}`
    )
  }
  return JSON.parse(line)
}

/** A free port, from a listener opened and closed at once. */
export function freePort() {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo
      server.close(() => resolve(address.port))
    })
  })
}

export function percentile(sorted: number[], p: number) {
  if (!sorted.length) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/** Drops the bench's own database and, unless `drop`, creates it empty. */
export async function recreateDatabase(databaseUrl: string, drop = false) {
  const url = new URL(databaseUrl)
  const name = decodeURIComponent(url.pathname.slice(1))
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name "${name}"`)
  url.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: url.href })
  await admin.connect()
  try {
    await admin.query(`drop database if exists ${name} with (force)`)
    if (!drop) await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
}

/** Deletes every Redis key under the bench's queue prefix; returns how many. */
export async function flushQueuePrefix(redis: Redis, prefix: string) {
  let cursor = '0'
  let removed = 0
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = nextCursor
    if (keys.length) removed += await redis.del(...keys)
  } while (cursor !== '0')
  return removed
}

/**
 * A bench tenant off any plan with a WhatsApp number on the local Graph
 * server (`graph`: a FakeGraphServer) sending at `messagesPerSecond`, and
 * one approved template known both to Graph (workers sync templates when
 * they start) and to the tenant. Returns the tenant's slug and schema, the
 * channel's id and its phone number id.
 */
export async function benchWhatsAppTenant(
  db: pg.Client,
  graph: { templates: Map<string, unknown[]> },
  env: NodeJS.ProcessEnv,
  options: {
    slug: string
    name: string
    messagesPerSecond: number
    template: { name: string; category: 'MARKETING' | 'UTILITY'; body: string; variables: number }
  }
) {
  const { slug, template } = options
  const tenant = await aceJson(['tenants:create', '--slug', slug, '--name', options.name], env)
  const schema = String(tenant.schema)
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`unexpected schema "${schema}"`)
  await db.query(`update tenants set plan_id = null where slug = $1`, [slug])
  const phoneNumberId = `1${randomInt(1e9, 9e9)}${options.messagesPerSecond}`
  const wabaId = `2${randomInt(1e9, 9e9)}`
  const components = [{ type: 'BODY', text: template.body }]
  graph.templates.set(wabaId, [
    {
      id: '9001',
      name: template.name,
      language: 'en',
      status: 'APPROVED',
      category: template.category,
      components,
    },
  ])
  const channel = await aceJson(
    [
      'channels:add-whatsapp',
      ...['--tenant', slug, '--phone-number-id', phoneNumberId, '--waba-id', wabaId],
      ...['--display-number', '+15550001234', '--access-token', 'bench-token'],
      ...['--app-secret', 'bench-secret', '--verify-token', 'bench-verify'],
    ],
    env
  )
  await db.query(`update channels set settings = settings || $1::jsonb where id = $2`, [
    JSON.stringify({ messagesPerSecond: options.messagesPerSecond }),
    channel.id,
  ])
  await db.query(
    `insert into ${schema}.message_templates
       (channel_id, provider_id, name, language, category, status, body_variables, components)
     values ($1, '9001', $2, 'en', $3, 'APPROVED', $4, $5::jsonb)`,
    [channel.id, template.name, template.category, template.variables, JSON.stringify(components)]
  )
  return { slug, schema, channelId: String(channel.id), phoneNumberId, wabaId }
}

/** Waits until the web process at `port` answers GET /health (it must not exit meanwhile). */
export async function waitForHealth(child: ChildProcess, port: number, ms = 90_000) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the web process exited during start')
    const ok = await fetch(`http://127.0.0.1:${port}/health`)
      .then((response) => response.ok)
      .catch(() => false)
    if (ok) return
    await sleep(250)
  }
  throw new Error(`GET /health not 200 within ${ms} ms`)
}
