import env from '#start/env'
import { defineConfig } from '@adonisjs/redis'
import type { InferConnections } from '@adonisjs/redis/types'
import { redisConnectionFromUrl } from '#app/queue/redis_connection'
import { queuePrefix } from './queue.js'

/**
 * The same Redis as the queues (REDIS_URL), for rate limits, live updates
 * and other short-lived data. Keys carry the queues' prefix (QUEUE_PREFIX
 * and the database's id), so a test run never meets a developer's data and
 * two apps on different databases never share a counter or a live topic.
 */

const redisConfig = defineConfig({
  connection: 'main',
  connections: {
    main: {
      ...redisConnectionFromUrl(env.get('REDIS_URL', 'redis://127.0.0.1:6379')),
      keyPrefix: `${queuePrefix}:`,
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
