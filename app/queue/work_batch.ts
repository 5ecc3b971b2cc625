import { AsyncLocalStorage } from 'node:async_hooks'
import logger from '@adonisjs/core/services/logger'

/*
| A work batch: code that emits an event for each of many things at once
| (the inbound hand-off emits `message:received` for up to 500 messages)
| runs the emits inside `inWorkBatch`, and listeners that would otherwise
| make one Redis round trip per event hand their work to the batch instead
| (`batchedWork`). When the emits are done, each kind of work is flushed
| once, with every item the batch collected: one BullMQ addBulk instead of
| one add per message, one live notice per conversation instead of one per
| message. `inWorkBatch` returns only after the flush, so a caller that
| marks the things done afterwards (as the hand-off does) never marks work
| that was not queued yet: a crash before the flush re-emits the batch.
|
| Outside a batch (an event emitted on its own, as tests and one-off
| actions do) the work is done at once, as before.
|
| `batchMemo` keeps a value read once per batch (the central cache's
| version: one Redis GET per batch, not per event).
*/

interface Scope {
  work: Map<BatchedWork<any>, unknown[]>
  memo: Map<string, Promise<unknown>>
  /**
   * Set once the batch flushes. Callbacks set up inside a batch (a timer, a
   * connection opened then) keep its async context after it ended; work
   * they hand on is done at once, and nothing is read from the memo.
   */
  closed: boolean
}

type BatchedWork<Item> = (items: Item[]) => Promise<void>

const storage = new AsyncLocalStorage<Scope>()

/**
 * Runs `fn` as a work batch, then flushes the work its listeners handed to
 * it. A flush that fails is logged, never raised: as with a listener that
 * fails, the events have happened and each kind of work owns its retries
 * (and its recovery sweep, where it has one).
 */
export async function inWorkBatch<T>(fn: () => Promise<T>): Promise<T> {
  const scope: Scope = { work: new Map(), memo: new Map(), closed: false }
  const result = await storage.run(scope, fn)
  scope.closed = true
  const work = [...scope.work]
  scope.work.clear()
  scope.memo.clear()
  await Promise.all(
    work.map(async ([flush, items]) => {
      try {
        await flush(items)
      } catch (error) {
        logger.error({ err: error, items: items.length }, 'work batch: a flush failed')
      }
    })
  )
  return result
}

/**
 * A kind of work done for many items at once: inside a work batch, `add`
 * only collects the item (flushed when the batch ends); outside one, it
 * flushes the item on its own now.
 */
export function batchedWork<Item>(flush: BatchedWork<Item>) {
  return async (item: Item) => {
    const scope = storage.getStore()
    if (!scope || scope.closed) return flush([item])
    const items = scope.work.get(flush)
    if (items) items.push(item)
    else scope.work.set(flush, [item])
  }
}

/** `load()`'s value, read once per work batch under `key` (every time outside one). */
export function batchMemo<T>(key: string, load: () => Promise<T>): Promise<T> {
  const scope = storage.getStore()
  if (!scope || scope.closed) return load()
  let kept = scope.memo.get(key) as Promise<T> | undefined
  if (!kept) {
    // A real promise, settled once: a lazy thenable (a Lucid query
    // builder) would run its query again at every await.
    kept = Promise.resolve(load())
    scope.memo.set(key, kept)
  }
  return kept
}
