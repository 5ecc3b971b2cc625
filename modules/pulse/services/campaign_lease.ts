import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import redis from '@adonisjs/redis/services/main'

/*
| One dispatcher per campaign at a time, across worker processes: a lease in
| Redis held by a dispatch chain (a launch or resume, and the jobs each
| queues after itself), renewed every second and lapsing LEASE_MS after its
| holder died. When a worker process starts it queues a new chain for every
| running campaign (a worker killed mid-run must not leave its campaign
| waiting for the queue's stalled-job check); the new chain takes over once
| the dead one's lease lapses, and any chain finding a live lease leaves.
*/

export const LEASE_MS = 4_000
const RUNNING = 'campaigns:running'

const leaseKey = (tenant: string, campaignId: string) => `campaign-lease:${tenant}:${campaignId}`

export function newChain() {
  return randomUUID()
}

const TAKE = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`

/** Takes or renews the lease for `chain`; false while another chain holds it. */
export async function holdLease(tenant: string, campaignId: string, chain: string) {
  return (await redis.eval(TAKE, 1, leaseKey(tenant, campaignId), chain, LEASE_MS)) === 1
}

/**
 * Waits for the lease: true once held, false when another chain keeps it
 * alive (it renews within LEASE_MS, so waiting a little longer than that settles it).
 */
export async function awaitLease(tenant: string, campaignId: string, chain: string) {
  const deadline = Date.now() + LEASE_MS + 1_500
  while (Date.now() < deadline) {
    if (await holdLease(tenant, campaignId, chain)) return true
    await sleep(500)
  }
  return false
}

export async function releaseLease(tenant: string, campaignId: string, chain: string) {
  await redis.eval(
    `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
    1,
    leaseKey(tenant, campaignId),
    chain
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
