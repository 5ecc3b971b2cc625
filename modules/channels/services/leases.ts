import { randomUUID } from 'node:crypto'
import logger from '@adonisjs/core/services/logger'
import redis from '@adonisjs/redis/services/main'

/*
| Leases in Redis for work that one run at a time may do (hand a
| conversation's messages on, drain a workspace's webhooks). A lease is a key
| holding the run's token for `ttlMs`; the run renews it every third of that
| while it holds it, so a slow run keeps it and a dead one's lapses within
| `ttlMs`. Taking, renewing and giving back are one script each over all
| the keys: one round trip for a whole batch.
*/

/** Sets each free key (KEYS) to the run's token; answers 1 for each it set, 0 for each leased. */
const CLAIM_SCRIPT = `local claimed = {}
for i, key in ipairs(KEYS) do
  claimed[i] = redis.call('set', key, ARGV[1], 'PX', ARGV[2], 'NX') and 1 or 0
end
return claimed`

/** Extends the keys (KEYS) that still hold the run's token to ARGV[2] ms. */
const RENEW_SCRIPT = `for _, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[1] then redis.call('pexpire', key, ARGV[2]) end
end
return 1`

/** Deletes the keys (KEYS) that still hold the run's token. */
const RELEASE_SCRIPT = `local released = 0
for _, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[1] then released = released + redis.call('del', key) end
end
return released`

/**
 * Takes the keys no other run holds. `held[i]` says whether `keys[i]` is
 * now ours; release() gives back those still ours (one that lapsed may be
 * someone else's by then) and stops renewing them.
 */
export async function claimLeases(keys: string[], ttlMs: number) {
  const token = randomUUID()
  const answers = (await redis.eval(CLAIM_SCRIPT, keys.length, ...keys, token, ttlMs)) as number[]
  const held = keys.map((_, index) => answers[index] === 1)
  const ours = keys.filter((_, index) => held[index])
  const renewal = ours.length
    ? setInterval(() => {
        redis.eval(RENEW_SCRIPT, ours.length, ...ours, token, ttlMs).catch((error) => {
          logger.warn({ err: error, leases: ours.length }, 'could not renew leases')
        })
      }, ttlMs / 3)
    : undefined
  renewal?.unref()
  return {
    held,
    release: async () => {
      clearInterval(renewal)
      if (!ours.length) return
      await redis.eval(RELEASE_SCRIPT, ours.length, ...ours, token)
    },
  }
}
