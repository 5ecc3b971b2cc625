import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import redis from '@adonisjs/redis/services/main'

/*
| One dispatcher per campaign at a time, across worker processes: a lease in
| Redis held by one run of one job of a dispatch chain (a launch or resume,
| and the jobs each queues after itself), renewed every half second and
| lapsing LEASE_MS after its holder died. A job hands the lease to the
| successor it queues: the successor's payload names the holder it takes
| over from. The holder is the run, not the chain: a job run a second time
| (the queue's stalled-job check re-runs a job whose worker looked dead)
| names a predecessor that no longer holds the lease, so it cannot take it
| from the live run (two runs of one chain would each pace the number at
| the full rate). When a worker process starts it queues a new chain for
| every running campaign (a worker killed mid-run must not leave its
| campaign waiting for the queue's stalled-job check); the new chain takes
| over once the dead one's lease lapses, and any run finding a live lease
| held by another leaves.
*/

export const LEASE_MS = 2_000
/** How often a holder renews its lease. */
export const RENEW_MS = 500
const RUNNING = 'campaigns:running'

const leaseKey = (tenant: string, campaignId: string) => `campaign-lease:${tenant}:${campaignId}`

export function newChain() {
  return randomUUID()
}

/**
 * The lease holder for one run of a job of `chain` (`chain:run@host:pid`:
 * which process sends a campaign can be read off its lease).
 */
export function newHolder(chain: string) {
  return `${chain}:${randomUUID()}@${hostname()}:${process.pid}`
}

const TAKE = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] or (ARGV[3] ~= '' and current == ARGV[3]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`

/**
 * Takes or renews the lease for `holder` (free, already its own, or held by
 * `from`, the predecessor handing it over); false while another holds it.
 */
export async function holdLease(tenant: string, campaignId: string, holder: string, from = '') {
  return (await redis.eval(TAKE, 1, leaseKey(tenant, campaignId), holder, LEASE_MS, from)) === 1
}

/**
 * Waits for the lease: once held, the moment (performance.now()) the ask
 * that took it was sent, which the lease outlives by LEASE_MS at least;
 * null when another holder keeps it alive (it renews within LEASE_MS, so
 * waiting a little longer than that settles it).
 */
export async function awaitLease(tenant: string, campaignId: string, holder: string, from = '') {
  const deadline = Date.now() + LEASE_MS + 1_500
  while (Date.now() < deadline) {
    const askedAt = performance.now()
    if (await holdLease(tenant, campaignId, holder, from)) return askedAt
    await sleep(250)
  }
  return null
}

/** Who holds a campaign's lease now (`chain:run@host:pid`), or null. */
export async function leaseHolder(tenant: string, campaignId: string) {
  return redis.get(leaseKey(tenant, campaignId))
}

export async function releaseLease(tenant: string, campaignId: string, holder: string) {
  await redis.eval(
    `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
    1,
    leaseKey(tenant, campaignId),
    holder
  )
}

/** The campaigns that are sending (or waiting for their time), as `tenant campaignId`. */
export async function markRunning(tenant: string, campaignId: string, running: boolean) {
  if (running) await redis.sadd(RUNNING, `${tenant} ${campaignId}`)
  else await redis.srem(RUNNING, `${tenant} ${campaignId}`)
}

export async function runningCampaigns() {
  const members = await redis.smembers(RUNNING)
  return members.map((member) => {
    const [tenant, campaignId] = member.split(' ')
    return { tenant, campaignId }
  })
}
