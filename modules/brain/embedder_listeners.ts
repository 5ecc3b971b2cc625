import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { queueLocalEmbedderUpgrade } from './jobs/local_embedder_upgrade_job.js'

/*
| When a worker pool starts the default queue, knowledge an earlier local
| embedder embedded is re-embedded (LocalEmbedderUpgradeJob): after an
| upgrade, searches find meaning by vectors again without an operator
| running brain:reembed for each tenant. Not in the test suite's pools.
*/
export function registerEmbedderListeners() {
  emitter.on('queue:started', async ({ queues }) => {
    if (!queues.includes('default') || app.inTest) return
    try {
      await queueLocalEmbedderUpgrade()
    } catch (error) {
      logger.error({ err: error }, 'brain: the local embedder upgrade was not queued')
    }
  })
}
