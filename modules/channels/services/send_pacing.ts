import redis from '@adonisjs/redis/services/main'

/*
| A number's send budget as a sliding window in Redis: each granted send is
| recorded with Redis's own clock, and a send is granted only while fewer
| than the number's rate were granted in the window before it. So no span
| of one second, wherever it starts, holds more sends than the rate (a
| fixed one-second counter allows twice that across its boundary), and
| every worker process shares the budget. The window is a little longer
| than a second: requests granted a second apart can reach WhatsApp closer
| together than that. A turn is taken per request, just before it leaves
| (a budget taken ahead for a batch whose requests go out over the next
| seconds lets two senders together exceed the rate).
*/

/** What a single send's window spans (it has no spacing of its own: the window is all its pacing). */
const WINDOW_MICROS = 1_100_000
/** What a spaced sender's window spans (its limit keeps the room: pacedRate). */
const SPACED_WINDOW_MICROS = 1_000_000
/** Entries are kept for the longest window any sender counts. */
const KEEP_MICROS = Math.max(WINDOW_MICROS, SPACED_WINDOW_MICROS)

/**
 * The sends a second a spaced sender (campaigns) makes on a number whose
 * rate is `rate`: a little under it, the rest being room for requests that
 * reach WhatsApp a little early or late (at low rates one request late on
 * the wire is a large share of a second: two a second are kept as room).
 * It is also the limit of the spaced senders' shared window in Redis, so
 * two of them together keep the same room as one.
 */
export function pacedRate(rate: number) {
  return Math.max(rate * 0.5, Math.min(rate * 0.975, rate - 2))
}

// Every grant is one entry scored by Redis's clock; a caller counts the
// entries inside its own window (all callers of a number share the set).
const GRANT = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - keep)
local used = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
if used < limit then
  local seq = redis.call('INCR', key .. ':seq')
  redis.call('ZADD', key, now, now .. ':' .. seq)
  local ttl = math.ceil(keep / 1000) + 1000
  redis.call('PEXPIRE', key, ttl)
  redis.call('PEXPIRE', key .. ':seq', ttl)
  return 0
end
local first = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT', used - limit, 1)
return math.max(1, math.ceil((tonumber(first[2]) + window - now) / 1000))
`

const PEEK = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - keep)
local used = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
if used < limit then return 0 end
local first = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT', used - limit, 1)
return math.max(1, math.ceil((tonumber(first[2]) + window - now) / 1000))
`

const paceKey = (key: string) => `wa-pace:${key}`

/** Like takeSendTurn without counting a send: 0 when there is room now, else the milliseconds until there may be. */
export async function peekSendTurn(key: string, perSecond: number): Promise<number> {
  const wait = await redis.eval(PEEK, 1, paceKey(key), perSecond, WINDOW_MICROS, KEEP_MICROS)
  return Number(wait)
}

/** 0 when a send may go now (and it is counted), else the milliseconds to wait before asking again. */
export async function takeSendTurn(key: string, perSecond: number): Promise<number> {
  const wait = await redis.eval(GRANT, 1, paceKey(key), perSecond, WINDOW_MICROS, KEEP_MICROS)
  return Number(wait)
}

// The spaced sender's turn: 0 when granted (the reply carries the entry, to
// hand it back), else the milliseconds to wait (nothing taken). With a mark
// key (KEYS[2]), the grant also sets the request's started mark; a mark
// already there (the send was settled as never sent) refuses the turn: -1,
// nothing taken.
const GRANT_SPACED = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - keep)
local used = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
if used < limit then
  if KEYS[2] and not redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[5], 'NX') then
    return {-1}
  end
  local seq = redis.call('INCR', key .. ':seq')
  redis.call('ZADD', key, now, now .. ':' .. seq)
  local ttl = math.ceil(keep / 1000) + 1000
  redis.call('PEXPIRE', key, ttl)
  redis.call('PEXPIRE', key .. ':seq', ttl)
  return {0, now .. ':' .. seq}
end
local first = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT', used - limit, 1)
return {math.max(1, math.ceil((tonumber(first[2]) + window - now) / 1000))}
`

/**
 * A granted turn counts from Redis's clock; a reply that reaches us much
 * later than asked (a stalled process) would send a request whose turn is
 * old, bunching up with newer ones at WhatsApp beyond the rate when another
 * process sends on the number too. Such a turn is handed back and asked for
 * again. Only a real stall: a merely busy event loop answers within tens of
 * milliseconds, and handing those back fed a storm (each hand-back and new
 * ask made the loop busier: at 1,000/s, 9 of 10 turns were handed back).
 * This process's own sends are held to the rate at the moment they leave
 * (takeLocalSend), however late their turn came.
 */
const STALE_TURN_MS = 250

/** The last send moments of this process per number: a ring per window it keeps. */
const localSends = new Map<string, Array<{ span: number; at: number[]; next: number }>>()

/**
 * A tenth of a second may hold a quarter more than its share of the rate:
 * room for a busy loop's late requests to catch up, never a burst of a
 * whole second's sends at once (a burst arrives spread out by the receiver's
 * own queue, and bunches with the next second's sends there).
 */
const BURST_SPAN_MS = 100
const burstLimit = (limit: number) => Math.max(1, Math.ceil((limit * BURST_SPAN_MS * 1.25) / 1000))

/**
 * This process's own window at the moment a request leaves: 0 when fewer
 * than `limit` of its requests on `key` left in the second before, and
 * fewer than burstLimit(limit) in the tenth of a second before (and this one
 * is counted), else the milliseconds until there is room. The shared window
 * in Redis grants a turn earlier, and a busy event loop can delay the
 * request after it: this keeps such late requests from bunching with the
 * next ones into a second above the rate.
 */
export function takeLocalSend(key: string, limit: number): number {
  let rings = localSends.get(key)
  if (!rings || rings[0].at.length !== limit) {
    const burst = burstLimit(limit)
    rings = [
      { span: 1000, at: new Array(limit).fill(-Infinity), next: 0 },
      { span: BURST_SPAN_MS, at: new Array(burst).fill(-Infinity), next: 0 },
    ]
    localSends.set(key, rings)
  }
  const now = performance.now()
  let wait = 0
  for (const ring of rings) wait = Math.max(wait, ring.at[ring.next] + ring.span - now)
  if (wait > 0) return Math.ceil(wait)
  for (const ring of rings) {
    ring.at[ring.next] = now
    ring.next = (ring.next + 1) % ring.at.length
  }
  return 0
}

/**
 * One send's turn for a sender that spaces its requests itself (campaigns,
 * sequences: sendTemplateBatch), taken just before its request leaves and
 * limited to pacedRate(rate) in any second: per request, never ahead for a
 * batch, so whatever else sends on the number at once (another campaign, a
 * dispatcher run twice, the inbox) no second holds more than the rate. 0
 * when granted, else the milliseconds to wait (a turn whose answer came back
 * later than STALE_TURN_MS is handed back, and the caller asks again in a
 * millisecond). The caller then takes the moment of leaving in this
 * process's own window (takeLocalSend).
 *
 * With `mark`, the same round trip sets the request's started mark with the
 * grant (SET NX for `mark.seconds`): `marked` says it was set (also when the
 * turn was then handed back: ask again without it). A mark already there
 * (the send was settled as never sent: it must not leave) answers -1, and no
 * turn is taken.
 */
export async function takeSpacedTurn(
  key: string,
  rate: number,
  mark?: { key: string; value: string; seconds: number }
): Promise<{ wait: number; marked: boolean }> {
  const asked = performance.now()
  const limit = Math.floor(pacedRate(rate))
  const [code, turn] = (await (mark
    ? redis.eval(
        GRANT_SPACED,
        2,
        paceKey(key),
        mark.key,
        limit,
        SPACED_WINDOW_MICROS,
        KEEP_MICROS,
        mark.value,
        mark.seconds
      )
    : redis.eval(GRANT_SPACED, 1, paceKey(key), limit, SPACED_WINDOW_MICROS, KEEP_MICROS))) as [
    number,
    string?,
  ]
  const granted = Number(code) === 0
  if (granted && turn && performance.now() - asked > STALE_TURN_MS) {
    await redis.zrem(paceKey(key), turn)
    return { wait: 1, marked: Boolean(mark) }
  }
  return { wait: Number(code), marked: granted && Boolean(mark) }
}
