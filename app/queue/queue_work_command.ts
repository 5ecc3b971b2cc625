import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { assertRedisReachable } from '#app/queue/redis_connection'

/**
 * A worker process: `node ace queue:work`, or `node bin/server.js` with
 * APP_ROLE=worker. Runs until SIGTERM, then finishes the jobs in hand.
 */
export default class QueueWork extends BaseCommand {
  static commandName = 'queue:work'
  static description = 'Run queue workers (what APP_ROLE=worker runs)'
  static options: CommandOptions = { startApp: true, staysAlive: true }

  @flags.array({ description: 'Queues to work on (default: all configured)' })
  declare queue?: string[]

  async run() {
    // Imported here, not at the top: ace loads command modules before the
    // application has read its environment, and config must see NODE_ENV.
    const { redisUrl } = await import('#config/queue')
    await assertRedisReachable(redisUrl)
    const router = await this.app.container.make('router')
    router.commit()
    const workers = await this.app.container.make('queue.workers')
    workers.start(this.queue?.length ? this.queue : undefined)
    this.app.terminating(() => workers.stop())
  }
}
