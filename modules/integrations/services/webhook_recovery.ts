import { tenantsInStatus, contextFor } from '#modules/tenancy/index'
import logger from '@adonisjs/core/services/logger'
import { dispatchDelivery } from './webhook_delivery_service.js'

/*
| A delivery row is written before its job is queued; if Redis refused the
| job (or lost it), the row would wait for ever. Every five minutes a worker
| that works the webhooks queue looks in each tenant for deliveries that
| should have been attempted some time ago and queues them again: one
| BullMQ job scheduler for the cluster (jobs/webhook_recovery_job.ts). A
| delivery that is in fact still queued is not harmed: the job claims the
| row before each attempt and a delivered row is never sent again.
*/

export const RECOVERY_INTERVAL_MS = 5 * 60_000
/** How overdue a delivery must be to count as stranded. */
export const STRANDED_AFTER = '10 minutes'
const BATCH = 200

export async function sweepStrandedDeliveries(): Promise<number> {
  const tenants = await tenantsInStatus(['active', 'suspended'])
  let queued = 0
  for (const tenant of tenants) {
    const context = contextFor(tenant)
    try {
      const stranded = await context.transaction(async (trx) => {
        const result = await trx.rawQuery(
          `select id, extract(epoch from updated_at)::bigint as stamp from webhook_deliveries
            where status in ('pending', 'retrying', 'sending')
              and updated_at < now() - interval '${STRANDED_AFTER}'
              and coalesce(next_attempt_at, updated_at) < now() - interval '${STRANDED_AFTER}'
            order by updated_at limit ${BATCH}`
        )
        return result.rows as Array<{ id: string; stamp: string }>
      })
      for (const row of stranded) {
        await dispatchDelivery(context, row.id, `s${row.stamp}`)
        queued++
      }
    } catch (error) {
      // One tenant's trouble (a schema not migrated yet) must not stop the others.
      logger.warn({ err: error, tenant: tenant.slug }, 'webhook recovery skipped a tenant')
    }
  }
  if (queued) logger.warn(`webhook recovery queued ${queued} stranded deliveries`)
  return queued
}
