import { randomUUID } from 'node:crypto'
import { dispatchTenantJob, type TenantContext } from '#modules/tenancy/index'
import Channel from '../models/channel.js'
import SyncTemplatesJob from '../jobs/sync_templates_job.js'
import { ChannelError } from './channel_errors.js'

/*
| "Sync now": one background sync per WhatsApp number, recorded in
| template_syncs so the page that asked can follow them and show how each
| ended. The schedule (sync_all_templates_job) runs the same job unrecorded.
*/

export type TemplateSyncStatus = 'queued' | 'running' | 'done' | 'failed'

export interface TemplateSyncRow {
  id: string
  channelId: string
  channelName: string
  status: TemplateSyncStatus
  total: number | null
  changed: number | null
  error: string | null
  createdAt: Date
  finishedAt: Date | null
}

export interface TemplateSyncBatch {
  id: string
  rows: TemplateSyncRow[]
  finished: boolean
  failed: number
}

/** The tenant's active WhatsApp numbers: the ones that have templates. */
export function templateChannelsOf(tenantId: string) {
  return Channel.query()
    .where('tenant_id', tenantId)
    .where('type', 'whatsapp')
    .where('status', 'active')
    .whereNotNull('waba_id')
    .orderBy('created_at')
}

/**
 * Queues a sync of every active WhatsApp number and returns the batch id
 * the progress page follows. Throws `no_whatsapp_channel` when there is none.
 */
export async function startTemplateSync(tenant: TenantContext, requestedBy: string | null) {
  const channels = await templateChannelsOf(tenant.id)
  if (!channels.length) {
    throw new ChannelError('no_whatsapp_channel', 'Connect a WhatsApp number first', 409)
  }
  const batchId = randomUUID()
  const rows = channels.map((channel) => ({ id: randomUUID(), channelId: channel.id }))
  await tenant.transaction(async (trx) => {
    await trx.table('template_syncs').multiInsert(
      rows.map((row) => ({
        id: row.id,
        batch_id: batchId,
        channel_id: row.channelId,
        requested_by: requestedBy,
        status: 'queued',
      }))
    )
  })
  for (const row of rows) {
    await dispatchTenantJob(
      SyncTemplatesJob,
      tenant,
      { channelId: row.channelId, syncId: row.id },
      { jobId: `templates-now-${row.id}` }
    )
  }
  return batchId
}

/** A sync request's rows with their numbers' names, or null when the batch is not this tenant's. */
export async function findTemplateSyncBatch(
  tenant: TenantContext,
  batchId: string
): Promise<TemplateSyncBatch | null> {
  if (!/^[0-9a-f-]{36}$/i.test(batchId)) return null
  const found = await tenant.transaction((trx) =>
    trx.rawQuery(
      `select id, channel_id, status, total, changed, error, created_at, finished_at
        from template_syncs where batch_id = ? order by created_at, id`,
      [batchId]
    )
  )
  const rows = found.rows as Array<Record<string, any>>
  if (!rows.length) return null
  // Central: names read outside the tenant transaction, by this tenant's id.
  const channels = await Channel.query()
    .where('tenant_id', tenant.id)
    .whereIn(
      'id',
      rows.map((row) => row.channel_id)
    )
  const names = new Map(channels.map((channel) => [channel.id, channel.name]))
  const list: TemplateSyncRow[] = rows.map((row) => ({
    id: row.id,
    channelId: row.channel_id,
    channelName: names.get(row.channel_id) ?? '—',
    status: row.status,
    total: row.total,
    changed: row.changed,
    error: row.error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  }))
  return {
    id: batchId,
    rows: list,
    finished: list.every((row) => row.status === 'done' || row.status === 'failed'),
    failed: list.filter((row) => row.status === 'failed').length,
  }
}

/** The last "Sync now" outcome of each number: the templates page shows a refusal beside it. */
export async function lastTemplateSyncs(tenant: TenantContext) {
  const found = await tenant.transaction((trx) =>
    trx.rawQuery(
      `select distinct on (channel_id) channel_id, status, error, finished_at
        from template_syncs order by channel_id, created_at desc`
    )
  )
  return new Map(
    (found.rows as Array<Record<string, any>>).map((row) => [
      row.channel_id as string,
      {
        status: row.status as TemplateSyncStatus,
        error: row.error as string | null,
        finishedAt: row.finished_at as Date | null,
      },
    ])
  )
}

/** What the sync job records about a requested run. */
export async function recordTemplateSync(
  tenant: TenantContext,
  syncId: string,
  change: {
    status: TemplateSyncStatus
    total?: number
    changed?: number
    error?: string | null
  }
) {
  const finished = change.status === 'done' || change.status === 'failed'
  await tenant.transaction((trx) =>
    trx.rawQuery(
      `update template_syncs set status = ?, total = coalesce(?, total),
          changed = coalesce(?, changed), error = ?,
          finished_at = case when ? then now() else finished_at end
        where id = ? and status not in ('done', 'failed')`,
      [
        change.status,
        change.total ?? null,
        change.changed ?? null,
        change.error ?? null,
        finished,
        syncId,
      ] as string[]
    )
  )
}
