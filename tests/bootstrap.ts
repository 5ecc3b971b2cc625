import { assert } from '@japa/assert'
import { apiClient } from '@japa/api-client'
import app from '@adonisjs/core/services/app'
import type { Config } from '@japa/runner/types'
import { pluginAdonisJS } from '@japa/plugin-adonisjs'
import testUtils from '@adonisjs/core/services/test_utils'
import { createAppServer } from '#app/http/node_server'
import { redisUrl } from '#config/queue'
import { assertRedisReachable } from '#app/queue/redis_connection'
import { sessionApiClient } from '@adonisjs/session/plugins/api_client'
import { shieldApiClient } from '@adonisjs/shield/plugins/api_client'
import { authApiClient } from '@adonisjs/auth/plugins/api_client'

export const plugins: Config['plugins'] = [
  assert(),
  apiClient(),
  pluginAdonisJS(app),
  sessionApiClient(app),
  shieldApiClient(),
  authApiClient(app),
]

/**
 * Before the suite: Redis must answer (one clear line if not), and the
 * central schema is migrated on whichever database this run uses. Tests make
 * their own tenants and remove them; none relies on the demo seed.
 */
export const runnerHooks: Required<Pick<Config, 'setup' | 'teardown'>> = {
  setup: [
    () => assertRedisReachable(redisUrl),
    async () => {
      const { MigrationRunner } = await import('@adonisjs/lucid/migration')
      const { default: db } = await import('@adonisjs/lucid/services/db')
      const runner = new MigrationRunner(db, app, { direction: 'up' })
      await runner.run()
      if (runner.error) throw runner.error
    },
    // Mail is queued; the suite works the `mail` queue itself, as a worker
    // process would, so tests read sent mail from the development mailbox.
    async () => {
      const workers = await app.container.make('queue.workers')
      workers.start(['mail'])
    },
  ],
  teardown: [
    async () => {
      const workers = await app.container.make('queue.workers')
      await workers.stop()
    },
  ],
}

export const configureSuite: Config['configureSuite'] = (suite) => {
  if (['browser', 'functional', 'e2e'].includes(suite.name)) {
    return suite.setup(() => testUtils.httpServer().start(createAppServer))
  }
}
