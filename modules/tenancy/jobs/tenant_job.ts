import { Job } from '@rlanz/bull-queue'
import queue from '@rlanz/bull-queue/services/main'
import type { JobsOptions } from 'bullmq'
import type { TenantContext } from '../services/tenant_context.js'
import { usableTenantContext } from '../services/tenant_registry.js'

/**
 * Every tenant job's payload carries the tenant slug and ids, never whole
 * records, so a job that runs late reads the data as it is then.
 */
export interface TenantJobPayload {
  tenant: string
}

/**
 * Base for jobs that work on one tenant's data. The worker restores the
 * tenant from the payload's slug and hands `run` its TenantContext.
 *
 * A tenant that was deleted while the job waited has no data left to work
 * on; the job ends with a warning instead of failing forever. A suspended
 * tenant's jobs still run: suspension closes the doors, it does not stop
 * messages already accepted from being processed.
 */
export abstract class TenantJob<Payload extends TenantJobPayload> extends Job {
  async handle(payload: Payload): Promise<void> {
    const tenant = await usableTenantContext(payload.tenant)
    if (!tenant) {
      this.logger.warn(
        { tenant: payload.tenant, job: this.constructor.name },
        'tenant gone; job skipped'
      )
      return
    }
    await this.run(tenant, payload)
  }

  abstract run(tenant: TenantContext, payload: Payload): Promise<unknown>

  async rescue(_payload: Payload, _error: Error): Promise<void> {}
}

type TenantJobClass<P extends TenantJobPayload> = {
  $$filepath: string
  new (...args: any[]): TenantJob<P>
}

/**
 * Queues a tenant job; the tenant slug is filled in from the context.
 */
export function dispatchTenantJob<P extends TenantJobPayload>(
  job: TenantJobClass<P>,
  tenant: Pick<TenantContext, 'slug'>,
  payload: Omit<P, 'tenant'>,
  options: JobsOptions & { queueName?: string } = {}
) {
  return queue.dispatch(job as any, { ...payload, tenant: tenant.slug }, options)
}
