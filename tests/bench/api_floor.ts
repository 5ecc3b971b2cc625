/*
| The floor bench:api measures the app against: the least a server must do
| to answer the same two calls, with nothing of the framework. Plain
| node:http and one `pg` pool of the app's size (FLOOR_POOL_MAX), and per
| request exactly the work the API cannot skip:
|
|   every request  the key check: the token parsed, the SHA-256 of its
|                  secret compared with api_keys' hash found by its prefix
|                  (revoked or expired refused), then the key's tenant read
|                  (schema and status, a suspended one refused)
|   GET  /api/v1/conversations?limit=25[&cursor=]
|                  the app's keyset page (updated_at desc, id desc, one row
|                  more than the page) as one schema-named statement, the
|                  app's fields and cursor
|   POST /api/v1/messages  {channel_id, contact_id, text}
|                  the message inserted into the contact's active
|                  conversation on the channel (one statement), and its
|                  delivery job added to a BullMQ queue of its own (nothing
|                  works it; bench:api flushes its prefix)
|
| Started by bench:api as its own process (FLOOR_PORT, DATABASE_URL,
| REDIS_URL, QUEUE_PREFIX); prints "listening" when ready. Not part of the
| app: it validates only what the bench sends.
*/
import { createHash, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import pg from 'pg'
import { Queue } from 'bullmq'

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.FLOOR_POOL_MAX ?? 10),
})
const queue = new Queue('floor-sends', {
  connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  prefix: process.env.QUEUE_PREFIX ?? 'bull',
})

const TOKEN = /^Bearer\s+fm_live_([0-9a-f]{8})_([0-9a-f]{40})\s*$/i
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const EMPTY_HASH = createHash('sha256').update('').digest()

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string
  ) {
    super(code)
  }
}

async function authenticate(header: string | undefined) {
  const token = header ? TOKEN.exec(header) : null
  if (!token) throw new Refusal(401, 'invalid_api_key')
  const keys = await pool.query(
    `select id, tenant_id, token_hash, revoked_at, expires_at from api_keys where prefix = $1`,
    [token[1]]
  )
  const key = keys.rows[0]
  const presented = createHash('sha256').update(token[2]).digest()
  const stored = key ? Buffer.from(key.token_hash, 'hex') : EMPTY_HASH
  if (!timingSafeEqual(presented, stored) || !key) throw new Refusal(401, 'invalid_api_key')
  if (key.revoked_at) throw new Refusal(401, 'revoked_api_key')
  if (key.expires_at && key.expires_at <= new Date()) throw new Refusal(401, 'expired_api_key')
  const tenants = await pool.query(`select slug, schema_name, status from tenants where id = $1`, [
    key.tenant_id,
  ])
  const tenant = tenants.rows[0]
  if (!tenant || tenant.status === 'deleted' || tenant.status === 'provisioning') {
    throw new Refusal(401, 'invalid_api_key')
  }
  if (tenant.status === 'suspended') throw new Refusal(423, 'tenant_suspended')
  return { slug: tenant.slug as string, schema: `"${tenant.schema_name}"` }
}

const iso = (value: Date | null) => (value ? value.toISOString() : null)

async function listConversations(schema: string, url: URL) {
  const limit = Number(url.searchParams.get('limit') ?? 25)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new Refusal(422, 'limit')
  const params: unknown[] = [limit + 1]
  let after = ''
  const cursor = url.searchParams.get('cursor')
  if (cursor) {
    const [key, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    params.push(key, id)
    after = `where (updated_at, id) < ($2::timestamptz, $3::uuid)`
  }
  const result = await pool.query(
    `select *, to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as api_cursor_key
       from ${schema}.conversations ${after}
      order by updated_at desc, id desc limit $1`,
    params
  )
  const rows = result.rows
  let next: string | null = null
  if (rows.length > limit) {
    rows.length = limit
    const last = rows[limit - 1]
    next = Buffer.from(JSON.stringify([last.api_cursor_key, last.id])).toString('base64url')
  }
  const data = rows.map((row) => ({
    id: row.id,
    contact_id: row.contact_id,
    channel_id: row.channel_id,
    status: row.status,
    snoozed_until: iso(row.snoozed_until),
    assignee_id: row.assignee_id,
    labels: row.labels,
    priority: row.priority,
    unread_count: row.unread_count,
    last_message_at: iso(row.last_message_at),
    last_customer_message_at: iso(row.last_customer_message_at),
    resolved_at: iso(row.resolved_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  }))
  return { status: 200, body: { data, next_cursor: next } }
}

async function sendMessage(tenant: { slug: string; schema: string }, raw: string) {
  const body = JSON.parse(raw)
  if (!UUID.test(body.channel_id) || !UUID.test(body.contact_id) || typeof body.text !== 'string') {
    throw new Refusal(422, 'validation_failed')
  }
  const result = await pool.query(
    `insert into ${tenant.schema}.messages
       (conversation_id, contact_id, channel_id, direction, type, body, payload, status, author_type)
     select id, contact_id, channel_id, 'outbound', 'text', $3, $4, 'pending', 'system'
       from ${tenant.schema}.conversations
      where contact_id = $1 and channel_id = $2 and status <> 'resolved'
      limit 1
     returning id, conversation_id, created_at`,
    [
      body.contact_id,
      body.channel_id,
      body.text,
      JSON.stringify({ content: { type: 'text', text: body.text } }),
    ]
  )
  const message = result.rows[0]
  if (!message) throw new Refusal(422, 'outside_window')
  await queue.add(
    'SendMessageJob',
    { tenant: tenant.slug, messageId: message.id },
    { jobId: `send-${tenant.slug}-${message.id}` }
  )
  return {
    status: 202,
    body: {
      id: message.id,
      status: 'pending',
      conversation_id: message.conversation_id,
      contact_id: body.contact_id,
      channel_id: body.channel_id,
      type: 'text',
      created_at: iso(message.created_at),
    },
  }
}

async function answer(request: http.IncomingMessage, raw: string) {
  const url = new URL(request.url ?? '/', 'http://floor')
  const tenant = await authenticate(request.headers.authorization)
  if (request.method === 'GET' && url.pathname === '/api/v1/conversations') {
    return listConversations(tenant.schema, url)
  }
  if (request.method === 'POST' && url.pathname === '/api/v1/messages') {
    return sendMessage(tenant, raw)
  }
  throw new Refusal(404, 'not_found')
}

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    answer(request, Buffer.concat(chunks).toString('utf8'))
      .catch((error) =>
        error instanceof Refusal
          ? { status: error.status, body: { error: { code: error.code } } }
          : { status: 500, body: { error: { code: 'internal', message: String(error) } } }
      )
      .then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
        response.end(JSON.stringify(body))
      })
  })
})
server.keepAliveTimeout = 60_000

server.listen(Number(process.env.FLOOR_PORT), '127.0.0.1', () => console.log('listening'))

process.once('SIGTERM', () => {
  server.close()
  server.closeAllConnections()
  Promise.allSettled([pool.end(), queue.close()]).then(() => process.exit(0))
})
