import { Job } from '@rlanz/bull-queue'
import queue from '@rlanz/bull-queue/services/main'
import { currentEmbedder } from '../services/embedder.js'
import { upgradeLocalEmbeddings } from '../services/local_embedder_upgrade.js'

/**
 * Re-embeds the tenants an earlier local embedder embedded (see
 * local_embedder_upgrade.ts). Safe to run twice: a tenant already on the
 * current model is passed over, and an interrupted re-embedding resumes.
 */
export default class LocalEmbedderUpgradeJob extends Job {
  static get $$filepath() {
    return import.meta.url
  }

  async handle(_payload: Record<string, never>) {
    await upgradeLocalEmbeddings()
  }

  async rescue(_payload: unknown, error: Error) {
    this.logger.error({ err: error }, 'the local embedder upgrade could not finish')
  }
}

/**
 * Queued when a worker pool starts: one job per embedder version for the
 * whole cluster (its id names the version), however many workers start.
 */
export async function queueLocalEmbedderUpgrade() {
  const embedder = currentEmbedder()
  if (embedder.kind !== 'local') return
  await queue.dispatch(
    LocalEmbedderUpgradeJob,
    {},
    {
      queueName: 'default',
      jobId: `local-embedder-upgrade-${embedder.model}`,
      attempts: 3,
      removeOnComplete: { age: 24 * 3600 },
    }
  )
}
