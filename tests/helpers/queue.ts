import app from '@adonisjs/core/services/app'
import type { Group } from '@japa/runner/core'

/**
 * Works the `default` queue in the test process for a group's tests, as a
 * worker process would. The suite's own `mail` worker shares the pool, so it
 * is started again when the group ends.
 */
export function withDefaultQueueWorker(group: Group) {
  group.setup(async () => {
    const workers = await app.container.make('queue.workers')
    workers.start(['default'])
    return async () => {
      await workers.stop()
      workers.start(['mail'])
    }
  })
}
