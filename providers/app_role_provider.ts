import type { ApplicationService } from '@adonisjs/core/types'
import env from '#start/env'
import { redisUrl } from '#config/queue'
import { assertRedisReachable } from '#app/queue/redis_connection'
import { WorkerPool } from '#app/queue/worker_pool'

export type AppRole = 'web' | 'worker' | 'all'

declare module '@adonisjs/core/types' {
  interface ContainerBindings {
    'queue.workers': WorkerPool
  }
}

/**
 * APP_ROLE decides what a process runs: `web` serves HTTP, `worker` runs
 * queue workers (through `node ace queue:work`), `all` (the default) does
 * both in one process. This provider checks Redis before anything relies on
 * it, prepares the database on a development start, and starts the workers
 * for `all`.
 */
export default class AppRoleProvider {
  #workers: WorkerPool | null = null

  constructor(protected app: ApplicationService) {}

  static role(): AppRole {
    return env.get('APP_ROLE', 'all')
  }

  register() {
    this.app.container.singleton('queue.workers', async () => {
      const logger = await this.app.container.make('logger')
      return new WorkerPool(this.app, logger)
    })
  }

  async start() {
    if (this.app.getEnvironment() !== 'web') return
    await assertRedisReachable(redisUrl)
    if (!this.app.inProduction && !this.app.inTest) {
      const { prepareDevelopmentDatabase } = await import('#database/first_run')
      await prepareDevelopmentDatabase(this.app)
    }
    await this.#bootstrapStaff()
  }

  /**
   * SUPER_ADMIN_EMAILS become platform staff on every start of a web
   * process. Before the central migrations have run there is no users table
   * yet; that is said, not fatal, so `migration:run` can still be reached.
   */
  async #bootstrapStaff() {
    const { syncSuperAdmins, staffEmailsFrom } = await import('#modules/identity/index')
    const logger = await this.app.container.make('logger')
    try {
      const changed = await syncSuperAdmins(staffEmailsFrom(env.get('SUPER_ADMIN_EMAILS')))
      if (changed.length) logger.info(`super admins from SUPER_ADMIN_EMAILS: ${changed.join(', ')}`)
    } catch (error) {
      logger.warn(
        `SUPER_ADMIN_EMAILS not applied (${(error as Error).message}); run migrations first`
      )
    }
  }

  async ready() {
    if (this.app.getEnvironment() !== 'web') return
    if (!this.app.inProduction && !this.app.inTest) {
      const { printDevelopmentBanner } = await import('#database/first_run')
      await printDevelopmentBanner()
    }
    if (AppRoleProvider.role() === 'all') {
      this.#workers = await this.app.container.make('queue.workers')
      this.#workers.start()
    }
  }

  async shutdown() {
    if (this.#workers) await this.#workers.stop()
  }
}
