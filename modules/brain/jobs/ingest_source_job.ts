import { TenantJob, contextFor, findUsableTenant } from '#modules/tenancy/index'
import type { TenantContext, TenantJobPayload } from '#modules/tenancy/index'
import { EmbeddingError } from '../services/embedder.js'
import { ingestSource, markSourceFailed } from '../services/ingestion.js'

interface Payload extends TenantJobPayload {
  sourceId: string
  /** The version this job was queued for; a newer request supersedes it. */
  version: number
}

/**
 * Ingests one version of a knowledge source (see ingestSource). Transient
 * failures (the embedding model unreachable, a database hiccup) are retried
 * by the queue; when the retries are spent the source is marked failed, so
 * nobody waits on a spinner forever.
 */
export default class IngestSourceJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { sourceId, version }: Payload) {
    await ingestSource(tenant, sourceId, version)
  }

  async rescue(payload: Payload, error: Error) {
    const tenant = await findUsableTenant(payload.tenant)
    if (!tenant) return
    const embedding = error instanceof EmbeddingError
    await markSourceFailed(
      contextFor(tenant),
      payload.sourceId,
      payload.version,
      embedding ? 'embedding_failed' : 'internal_error',
      embedding
        ? error.message
        : 'Something went wrong while reading this source; try again, or contact support if it keeps failing.'
    )
  }
}
