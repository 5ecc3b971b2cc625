import redis from '@adonisjs/redis/services/main'

/*
| A number's send budget as a sliding window in Redis: each granted send is
| recorded with Redis's own clock, and a send is granted only while fewer
| than the number's rate were granted in the window before it. So no span
| of one second, wherever it starts, holds more sends than the rate (a
| fixed one-second counter allows twice that across its boundary), and
| every worker process shares the budget. The window is a little longer
| than a second: requests granted a second apart can reach WhatsApp closer
| together than that.
*/

const WINDOW_MICROS = 1_100_000

const GRANT = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  local seq = redis.call('INCR', key .. ':seq')
  redis.call('ZADD', key, now, now .. ':' .. seq)
  local ttl = math.ceil(window / 1000) + 1000
  redis.call('PEXPIRE', key, ttl)
  redis.call('PEXPIRE', key .. ':seq', ttl)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, math.ceil((tonumber(oldest[2]) + window - now) / 1000))
`

const PEEK = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then return 0 end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return math.max(1, math.ceil((tonumber(oldest[2]) + window - now) / 1000))
`

/** Like takeSendTurn without counting a send: 0 when there is room now, else the milliseconds until there may be. */
export async function peekSendTurn(key: string, perSecond: number): Promise<number> {
  const wait = await redis.eval(PEEK, 1, `wa-pace:${key}`, perSecond, WINDOW_MICROS)
  return Number(wait)
}

/** 0 when a send may go now (and it is counted), else the milliseconds to wait before asking again. */
export async function takeSendTurn(key: string, perSecond: number): Promise<number> {
  const wait = await redis.eval(GRANT, 1, `wa-pace:${key}`, perSecond, WINDOW_MICROS)
  return Number(wait)
}

const GRANT_MANY = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local room = limit - redis.call('ZCARD', key)
local granted = math.max(0, math.min(want, room))
if granted > 0 then
  local seq = redis.call('INCRBY', key .. ':seq', granted)
  local args = {}
  for i = 1, granted do
    args[#args + 1] = now
    args[#args + 1] = now .. ':' .. (seq - i)
  end
  redis.call('ZADD', key, unpack(args))
  local ttl = math.ceil(window / 1000) + 1000
  redis.call('PEXPIRE', key, ttl)
  redis.call('PEXPIRE', key .. ':seq', ttl)
end
return granted
`

/**
 * Up to `want` turns at once, for a sender that spaces its requests itself
 * (campaigns: sendTemplateBatch): how many were granted (0 when the window
 * is full). The window is one second: such a sender never starts two
 * requests closer than 1/perSecond apart, so no second at WhatsApp holds
 * more than the rate; the budget here is what it shares with other senders.
 */
export async function takeSendTurns(key: string, perSecond: number, want: number) {
  if (want <= 0) return 0
  const granted = await redis.eval(GRANT_MANY, 1, `wa-pace:${key}`, perSecond, 1_000_000, want)
  return Number(granted)
}
