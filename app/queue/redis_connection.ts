import type { RedisOptions } from 'ioredis'
import { Redis } from 'ioredis'
import { StartupError } from '#app/bootstrap/startup_error'

/**
 * BullMQ takes ioredis options rather than a URL; REDIS_URL is the one
 * setting operators expect, so it is translated here.
 */
export function redisConnectionFromUrl(url: string): RedisOptions {
  const parsed = new URL(url)
  return {
    host: parsed.hostname || '127.0.0.1',
    port: Number(parsed.port || 6379),
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    // Workers block on Redis; BullMQ requires unlimited retries per request.
    maxRetriesPerRequest: null,
  }
}

/**
 * Pings Redis once with a short timeout. Used at start (a clear line instead
 * of silent retries) and by the readiness probe.
 */
export async function pingRedis(url: string, timeoutMs = 2_000): Promise<void> {
  const client = new Redis({
    ...redisConnectionFromUrl(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
  } finally {
    client.disconnect()
  }
}

export async function assertRedisReachable(url: string) {
  try {
    await pingRedis(url)
  } catch (error) {
    const safeUrl = url.replace(/\/\/[^@]*@/, '//***@')
    throw new StartupError(
      `Redis is not reachable at ${safeUrl} (${(error as Error).message}); start it with ` +
        `"redis-server --daemonize yes" or point REDIS_URL at a running Redis`
    )
  }
}
