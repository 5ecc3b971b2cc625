import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import encryption from '@adonisjs/core/services/encryption'
import logger from '@adonisjs/core/services/logger'
import { ApiError } from '#app/http/api/errors'
import { jsonText } from '#app/http/api/serialization'

/** How long a key and its first response are remembered. */
const RETENTION = '24 hours'
/** A claim older than this was left by a request that died; another may take it over. */
const ABANDONED_AFTER_SECONDS = 60
/** How long a duplicate waits for the first request before answering 409. */
const WAIT_MS = 15_000

export interface ApiResult {
  status: number
  body: unknown
  /** Extra headers to send, and replay (e.g. Location). */
  headers?: Record<string, string>
}

/**
 * Given to `work` when the request carries a key, to save round trips.
 *
 * With `claimInWork`, the key is claimed in work's first statement rather
 * than in one of its own: `claim()` gives an INSERT ... RETURNING id (with
 * `?` bindings) to run as a CTE of that statement, which must also return
 * the CTE's id; `claimed(id)` takes it, and throws (ending work, which has
 * written nothing yet) when another request holds the key, which is then
 * waited for and replayed. `claim()` is null once the key is held.
 *
 * `statement(result, condition)` gives an UPDATE (with `?` bindings) that
 * records `result` as the key's answer where `condition` (SQL) holds, for
 * work to run inside its own last write; work then returns
 * `recorded(result)` when the condition held (its write happened), or a
 * plain result otherwise (then the answer is stored as usual).
 */
export interface AnswerRecorder {
  claim(): { sql: string; bindings: unknown[] } | null
  claimed(id: string | null): void
  statement(result: ApiResult, condition: string): { sql: string; bindings: unknown[] }
  recorded(result: ApiResult): ApiResult
}

type Work = (recorder: AnswerRecorder | null) => Promise<ApiResult>

interface StoredRow {
  id: string
  request_hash: string
  status: 'in_progress' | 'done'
  response_status: number | null
  response_headers: Record<string, string> | null
  response_body: string | null
  expired: boolean
  abandoned: boolean
}

/**
 * Runs a POST that creates or sends at most once per `Idempotency-Key`.
 *
 * The first request inserts the key (a unique index on tenant and key makes
 * exactly one insert win, on any number of processes), runs `work` and
 * stores the response; repeats within 24 hours get that response byte for
 * byte with `Idempotent-Replayed: true`. A repeat that arrives while the
 * first still runs waits for it (then replays), or after 15 s answers 409
 * `request_in_progress`. The same key with another method, path or body is
 * 409 `idempotency_key_reused`. When `work` fails the key is released, so a
 * retry runs again: only a completed request is remembered.
 *
 * Without the header, `work` simply runs (given no recorder). With it,
 * work may save the claim's and the answer's round trips (AnswerRecorder;
 * `claimInWork`); work that fails before claiming answers as a repeat
 * would if the key is already taken.
 *
 * Stored answers are encrypted with APP_KEY (see sealAnswer): some carry
 * secrets (a new webhook's signing secret), and a copy kept for 24 hours
 * must not be readable by whoever reads the database.
 */
export async function idempotent(
  ctx: HttpContext,
  work: Work,
  options: { claimInWork?: boolean } = {}
) {
  const key = ctx.request.header('Idempotency-Key')
  if (key === undefined) {
    const result = await work(null)
    return send(ctx, result.status, jsonText(result.body), result.headers ?? {}, false)
  }
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ApiError(
      400,
      'invalid_idempotency_key',
      'An Idempotency-Key is 1 to 255 visible ASCII characters (a UUID is ideal)'
    )
  }
  await purgeNowAndThen()
  const tenantId = ctx.tenant.id
  const hash = requestHash(ctx)
  const deadline = Date.now() + WAIT_MS
  const request: Claim = { tenantId, key, hash, apiKeyId: ctx.apiKey?.id ?? null }

  if (options.claimInWork) {
    const answered = await run(ctx, request, null, work)
    if (answered !== HELD_ELSEWHERE) return answered
  }
  for (let pause = 25; ; pause = Math.min(pause * 2, 250)) {
    const claimed = await claim(request)
    if (claimed) return run(ctx, request, claimed, work)

    const row = await find(tenantId, key)
    if (!row) continue
    if (row.expired) {
      await db.from('api_idempotency').where('id', row.id).whereRaw('expires_at <= now()').delete()
      continue
    }
    if (row.request_hash !== hash) throw keyReused()
    if (row.status === 'done') {
      const text = openAnswer(row.response_body!, tenantId, key)
      return send(ctx, row.response_status!, text, row.response_headers ?? {}, true)
    }
    if (row.abandoned && (await takeOver(row.id))) return run(ctx, request, row.id, work)
    if (Date.now() >= deadline) {
      throw new ApiError(
        409,
        'request_in_progress',
        'A request with this Idempotency-Key is still running; retry in a moment'
      )
    }
    await sleep(pause)
  }
}

/** The key a request claims, and what it claims it for. */
interface Claim {
  tenantId: string
  key: string
  hash: string
  apiKeyId: string | null
}

/** Work found the key held by another request (with claimInWork): wait for that one. */
const HELD_ELSEWHERE = Symbol('held elsewhere')
class HeldElsewhere extends Error {}

/**
 * Runs work holding the key (`rowId`), or claiming it in work's first
 * statement when `rowId` is null; answers, or HELD_ELSEWHERE when that
 * claim found the key taken.
 */
async function run(ctx: HttpContext, request: Claim, held: string | null, work: Work) {
  const { tenantId, key } = request
  let rowId = held
  // What work's own statement stored, once work says that statement applied.
  let stored: { result: ApiResult; text: string; applied: boolean } | null = null
  const recorder: AnswerRecorder = {
    claim() {
      return rowId ? null : claimStatement(request)
    },
    claimed(id) {
      if (!id) throw new HeldElsewhere()
      rowId = id
    },
    statement(result, condition) {
      const text = jsonText(result.body)
      stored = { result, text, applied: false }
      return {
        sql: `update api_idempotency
                 set status = 'done', response_status = ?, response_headers = ?,
                     response_body = ?
               where id = ? and ${condition}`,
        bindings: [
          result.status,
          JSON.stringify(result.headers ?? {}),
          sealAnswer(text, tenantId, key),
          rowId,
        ],
      }
    },
    recorded(result) {
      if (stored?.result === result) stored.applied = true
      return result
    },
  }
  let result: ApiResult
  try {
    result = await work(recorder)
  } catch (error) {
    if (rowId) {
      await db.from('api_idempotency').where('id', rowId).delete()
      throw error
    }
    if (error instanceof HeldElsewhere) return HELD_ELSEWHERE
    // Refused before claiming: as when the claim comes first, a key already
    // taken decides the answer (a replay, a wait or 409), not this error.
    const row = await find(tenantId, key)
    if (row && !row.expired) return HELD_ELSEWHERE
    throw error
  }
  if (!rowId) throw new Error('idempotent work finished without claiming its key')
  const done = stored as { result: ApiResult; text: string; applied: boolean } | null
  if (done?.applied && done.result === result) {
    // Stored by work's own statement, with exactly this text.
    return send(ctx, result.status, done.text, result.headers ?? {}, false)
  }
  const text = jsonText(result.body)
  await db
    .from('api_idempotency')
    .where('id', rowId)
    .update({
      status: 'done',
      response_status: result.status,
      response_headers: JSON.stringify(result.headers ?? {}),
      response_body: sealAnswer(text, ctx.tenant.id, key),
    })
  return send(ctx, result.status, text, result.headers ?? {}, false)
}

function keyReused() {
  return new ApiError(
    409,
    'idempotency_key_reused',
    'This Idempotency-Key was used with a different request; use a new key for a new request'
  )
}

/** Marks an encrypted answer; JSON never starts this way, so older plain rows still replay. */
const SEALED = 'enc:v1:'

/**
 * Every answer is encrypted, not only those known to hold a secret today:
 * a route that adds one later cannot forget to ask. The purpose binds the
 * ciphertext to its tenant and key, so a row copied onto another key does
 * not open. Decrypting gives back the exact text, so the replay is still
 * byte for byte the first answer.
 */
function sealAnswer(text: string, tenantId: string, key: string) {
  return SEALED + encryption.encrypt(text, undefined, answerPurpose(tenantId, key))
}

function openAnswer(stored: string, tenantId: string, key: string): string {
  if (!stored.startsWith(SEALED)) return stored
  const text = encryption.decrypt<string>(stored.slice(SEALED.length), answerPurpose(tenantId, key))
  if (typeof text === 'string') return text
  // Sealed under another APP_KEY: what the first request did is unknown here.
  logger.warn({ tenantId }, 'stored idempotent answer cannot be decrypted (APP_KEY changed?)')
  throw new ApiError(
    409,
    'idempotency_key_reused',
    'The first answer to this Idempotency-Key can no longer be read; use a new key'
  )
}

function answerPurpose(tenantId: string, key: string) {
  return `api-idempotency:${tenantId}:${key}`
}

/** The insert that claims the key unless it exists, returning the new row's id. */
function claimStatement({ tenantId, key, hash, apiKeyId }: Claim) {
  return {
    sql: `insert into api_idempotency (tenant_id, idempotency_key, api_key_id, request_hash, status, expires_at)
          values (?, ?, ?, ?, 'in_progress', now() + interval '${RETENTION}')
          on conflict (tenant_id, idempotency_key) do nothing
          returning id`,
    bindings: [tenantId, key, apiKeyId, hash],
  }
}

/** Inserts the key unless it exists; returns the new row's id, or null. */
async function claim(request: Claim) {
  const { sql, bindings } = claimStatement(request)
  const result = await db.rawQuery(sql, bindings)
  return (result.rows[0]?.id as string | undefined) ?? null
}

async function find(tenantId: string, key: string): Promise<StoredRow | null> {
  const result = await db.rawQuery(
    `select id, request_hash, status, response_status, response_headers, response_body,
            expires_at <= now() as expired,
            locked_at < now() - interval '${ABANDONED_AFTER_SECONDS} seconds' as abandoned
       from api_idempotency where tenant_id = ? and idempotency_key = ?`,
    [tenantId, key]
  )
  return result.rows[0] ?? null
}

async function takeOver(rowId: string) {
  const result = await db.rawQuery(
    `update api_idempotency set locked_at = now()
      where id = ? and status = 'in_progress'
        and locked_at < now() - interval '${ABANDONED_AFTER_SECONDS} seconds'
      returning id`,
    [rowId]
  )
  return result.rows.length > 0
}

/** Method, path and exact body: what "the same request" means. */
function requestHash(ctx: HttpContext) {
  const raw = ctx.request.raw() ?? ''
  return createHash('sha256')
    .update(`${ctx.request.method()} ${ctx.request.url()}\n${raw}`)
    .digest('hex')
}

function send(
  ctx: HttpContext,
  status: number,
  text: string,
  headers: Record<string, string>,
  replayed: boolean
) {
  for (const [name, value] of Object.entries(headers)) ctx.response.header(name, value)
  if (replayed) ctx.response.header('Idempotent-Replayed', 'true')
  ctx.response.status(status).header('Content-Type', 'application/json; charset=utf-8')
  return ctx.response.send(text)
}

let lastPurge = 0

/**
 * Old keys go without a scheduler: the first idempotent request of each hour
 * in a process deletes the expired ones (an indexed range delete).
 */
async function purgeNowAndThen() {
  if (Date.now() - lastPurge < 3_600_000) return
  lastPurge = Date.now()
  await purgeExpiredIdempotencyKeys()
}

/** Forgets keys older than 24 hours. */
export async function purgeExpiredIdempotencyKeys() {
  const result = await db.from('api_idempotency').whereRaw('expires_at <= now()').delete()
  return Number(result)
}
