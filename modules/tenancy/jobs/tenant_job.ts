import { Job } from '@rlanz/bull-queue'
import app from '@adonisjs/core/services/app'
import queue from '@rlanz/bull-queue/services/main'
import type { JobsOptions } from 'bullmq'
import { batchedWork } from '#app/queue/work_batch'
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

interface BatchedTenantJob {
  job: TenantJobClass<any>
  data: TenantJobPayload
  options: JobsOptions & { queueName?: string }
  coalesce?: string
}

/*
| Jobs queued inside a work batch (see app/queue/work_batch.ts) go to Redis
| together when the batch ends: one addBulk per queue. Of jobs given the
| same `coalesce` key in one batch only the last is queued, where it stood.
*/
const queueBatch = batchedWork<BatchedTenantJob>(async (items) => {
  const last = new Map<string, number>()
  items.forEach((item, index) => item.coalesce !== undefined && last.set(item.coalesce, index))
  const byQueue = new Map<string, BatchedTenantJob[]>()
  items.forEach((item, index) => {
    if (item.coalesce !== undefined && last.get(item.coalesce) !== index) return
    const name = item.options.queueName ?? 'default'
    const jobs = byQueue.get(name)
    if (jobs) jobs.push(item)
    else byQueue.set(name, [item])
  })
  const defaults = app.config.get<JobsOptions>('queue.jobs', {})
  await Promise.all(
    [...byQueue].map(([name, jobs]) =>
      queue.getOrSet(name).addBulk(
        jobs.map(({ job, data, options: { queueName: _, ...options } }) => ({
          name: job.$$filepath,
          data,
          opts: { ...defaults, ...options },
        }))
      )
    )
  )
})

/**
 * dispatchTenantJob for listeners of events emitted many at a time: inside
 * a work batch the job is queued with the batch's others when it ends
 * (`coalesce`: only the batch's last job of that key is queued); outside
 * one, now.
 */
export function dispatchTenantJobInBatch<P extends TenantJobPayload>(
  job: TenantJobClass<P>,
  tenant: Pick<TenantContext, 'slug'>,
  payload: Omit<P, 'tenant'>,
  options: JobsOptions & { queueName?: string; coalesce?: string } = {}
) {
  const { coalesce, ...jobOptions } = options
  return queueBatch({
    job,
    data: { ...payload, tenant: tenant.slug },
    options: jobOptions,
    coalesce,
  })
}
