import env from '#start/env'
import { defineConfig } from '@adonisjs/redis'
import type { InferConnections } from '@adonisjs/redis/types'
import { redisConnectionFromUrl } from '#app/queue/redis_connection'

/**
 * The same Redis as the queues (REDIS_URL), for rate limits and other
 * short-lived counters. Keys are prefixed like the queues' so a test run
 * never meets a developer's data.
 */
const inTest = env.get('NODE_ENV') === 'test'
const prefix = env.get('QUEUE_PREFIX', inTest ? 'flomastr-test' : 'flomastr')

const redisConfig = defineConfig({
  connection: 'main',
  connections: {
    main: {
      ...redisConnectionFromUrl(env.get('REDIS_URL', 'redis://127.0.0.1:6379')),
      keyPrefix: `${prefix}:`,
      maxRetriesPerRequest: 3,
      // Commands issued in the same tick share one write: under load every
      // API request's version check and rate-limit count would otherwise be
      // a system call each.
      enableAutoPipelining: true,
    },
  },
})

export default redisConfig

declare module '@adonisjs/redis/types' {
  export interface RedisConnections extends InferConnections<typeof redisConfig> {}
}
