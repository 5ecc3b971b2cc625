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

/**
 * Workers for `queues` in a pool of the group's own, as a worker process
 * would run them; stopping it leaves the suite's mail worker alone.
 */
export function useWorkers(group: Group, queues: string[]) {
  group.setup(async () => {
    const { WorkerPool } = await import('#app/queue/worker_pool')
    const pool = new WorkerPool(app, await app.container.make('logger'))
    pool.start(queues)
    return () => pool.stop()
  })
}
