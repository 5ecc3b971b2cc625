import redis from '@adonisjs/redis/services/main'
import logger from '@adonisjs/core/services/logger'
import { batchMemo } from '#app/queue/work_batch'

/*
| Central rows that every API request needs and that rarely change (API
| keys, tenants, plans) are kept in each process's memory, and one number
| in Redis says whether what a process keeps is still good: every change
| to such a row raises it once the change has committed, and every request
| reads it (one Redis GET instead of three PostgreSQL round trips).
|
| So a change takes effect on the next request on every process: the
| writer raises the number before it answers, and a process that kept the
| row under an older number reads the row again. A row read while a change
| was being made is kept under the number read before it, so it is read
| again on the next request.
|
| If Redis cannot be read, nothing is served from memory. If the number
| cannot be raised (Redis down at that moment), what processes keep
| expires after KEEP_MS all the same: the bound on staleness when the
| platform's own signal is lost.
*/
const VERSION_KEY = 'central-cache:version'
const KEEP_MS = 60_000
const MAX_ENTRIES = 10_000

/**
 * The current number, or null when Redis cannot say (then nothing is kept).
 * Inside a work batch (app/queue/work_batch.ts: the inbound hand-off's
 * listeners) it is read once for the whole batch: a change committed while
 * the batch is being handed on counts from the next batch.
 */
export function centralVersion(): Promise<string | null> {
  return batchMemo(VERSION_KEY, readVersion)
}

async function readVersion(): Promise<string | null> {
  try {
    return (await redis.get(VERSION_KEY)) ?? '0'
  } catch (error) {
    logger.warn({ err: error }, 'central cache version unreadable; reading rows afresh')
    return null
  }
}

/** Raises the number: every process reads its kept rows again. */
export async function invalidateCentralCache() {
  try {
    await redis.incr(VERSION_KEY)
  } catch (error) {
    logger.error(
      { err: error },
      `central cache version not raised; processes may serve the old row for up to ${KEEP_MS / 1000} s`
    )
  }
}

/**
 * For model hooks: raises the number once the row's transaction commits
 * (before, a request could read the old row and keep it under the new
 * number), or now when the row was written outside one.
 */
export async function invalidateCentralCacheAfterWrite(row: {
  $trx?: { after(event: 'commit', handler: () => Promise<void>): unknown } | null
}) {
  if (row.$trx) row.$trx.after('commit', invalidateCentralCache)
  else await invalidateCentralCache()
}

/** A process-local map whose entries hold while the central version they were read under does. */
export class CentralCache<Value> {
  #entries = new Map<string, { value: Value; version: string; until: number }>()

  /**
   * The value kept for `key` under `version`, else `load()`'s (kept unless
   * `version` is null or the value is null: an unknown key is asked again).
   */
  async get(key: string, version: string | null, load: () => Promise<Value | null>) {
    const kept = version === null ? undefined : this.#entries.get(key)
    if (kept && kept.version === version && kept.until > Date.now()) return kept.value
    const value = await load()
    if (value === null || version === null) return value
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear()
    this.#entries.set(key, { value, version, until: Date.now() + KEEP_MS })
    return value
  }

  clear() {
    this.#entries.clear()
  }
}
