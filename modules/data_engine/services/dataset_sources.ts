import logger from '@adonisjs/core/services/logger'
import { ConversionError, fetchUrlBytes } from '#modules/brain/index'
import {
  contextFor,
  dispatchTenantJob,
  tenantsInStatus,
  type TenantContext,
} from '#modules/tenancy/index'
import {
  DatasetError,
  MAX_FILE_BYTES,
  addSheetImport,
  createDraftFromFile,
  findDataset,
  findDatasetOrFail,
  finishDataset,
  runImport,
} from './dataset_service.js'

/*
| Datasets read from a CSV address (a published Google Sheet, a shop's
| export) and read again on a schedule. Every fetch goes through the brain's
| URL fetch, so the outbound guard checks each hop (no private or loopback
| addresses, no other schemes), with a time and a size limit. A refresh
| reads the whole sheet again with the dataset's columns: rows upserted by
| key, and rows the sheet no longer has removed, so the dataset mirrors it.
| A refresh that fails keeps the rows as they were and says why.
*/

/** The refresh periods offered, in minutes (null: only by hand). */
export const REFRESH_CHOICES = [60, 360, 1440] as const
const FETCH_TIMEOUT_MS = 30_000

function checkRefresh(minutes: unknown): number | null {
  if (minutes === null || minutes === undefined || minutes === '' || minutes === 'never') {
    return null
  }
  const value = Number(minutes)
  if (!(REFRESH_CHOICES as readonly number[]).includes(value)) {
    throw new DatasetError('invalid', 'Choose how often to read the address again.', 'refresh')
  }
  return value
}

function checkUrl(address: unknown) {
  const text = String(address ?? '').trim()
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new DatasetError('invalid_url', 'Give the full address, starting with https://.', 'url')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DatasetError('invalid_url', 'Only http and https addresses.', 'url')
  }
  if (text.length > 2000) throw new DatasetError('invalid_url', 'The address is too long.', 'url')
  return url.toString()
}

/** The sheet at an address, through the outbound guard; a DatasetError says what went wrong. */
async function fetchSheet(url: string) {
  try {
    const page = await fetchUrlBytes(url, { maxBytes: MAX_FILE_BYTES, timeoutMs: FETCH_TIMEOUT_MS })
    const head = page.bytes.subarray(0, 200).toString('utf8').trimStart().toLowerCase()
    if (page.kind === 'html' || page.kind === 'markdown' || head.startsWith('<')) {
      throw new DatasetError('not_csv', 'The address gives a web page, not a CSV file.', 'url')
    }
    return page.bytes
  } catch (error) {
    if (!(error instanceof ConversionError)) throw error
    const messages: Record<string, string> = {
      blocked_address: 'That address is not allowed (a private or local network).',
      timeout: 'The address took too long to answer.',
      too_large: 'The file at the address is larger than 50 MB.',
      not_html: 'The address does not give a CSV file.',
    }
    throw new DatasetError(
      error.code === 'blocked_address' ? 'blocked_address' : 'fetch_failed',
      messages[error.code] ?? `The address could not be read: ${error.message}`,
      'url'
    )
  }
}

/**
 * Step one from an address: the sheet is fetched now and its columns
 * guessed, as for an upload; the address and the refresh period are kept.
 */
export async function createDraftFromUrl(
  tenant: TenantContext,
  input: {
    name: string
    description?: string | null
    url: unknown
    refreshMinutes?: unknown
    createdByUserId?: string | null
  }
) {
  const url = checkUrl(input.url)
  const refreshMinutes = checkRefresh(input.refreshMinutes)
  const bytes = await fetchSheet(url)
  const draft = await createDraftFromFile(tenant, {
    name: input.name,
    description: input.description,
    file: { bytes, filename: 'source.csv' },
    createdByUserId: input.createdByUserId,
  })
  await tenant.transaction((trx) =>
    trx.rawQuery(
      `update datasets set source_url = ?, refresh_minutes = ?, refreshed_at = now(),
          next_refresh_at = case when ?::int is null then null
                                 else now() + make_interval(mins => ?::int) end
        where id = ?`,
      [url, refreshMinutes, refreshMinutes, refreshMinutes, draft.id] as any[]
    )
  )
  return (await findDataset(tenant, draft.id))!
}

/** A new refresh period for a dataset read from an address. */
export async function updateRefresh(tenant: TenantContext, datasetId: string, minutes: unknown) {
  const dataset = await findDatasetOrFail(tenant, datasetId)
  if (!dataset.source) throw new DatasetError('no_source', 'This dataset has no address.', null)
  const refreshMinutes = checkRefresh(minutes)
  await tenant.transaction((trx) =>
    trx.rawQuery(
      `update datasets set refresh_minutes = ?,
          next_refresh_at = case when ?::int is null then null
                                 else coalesce(refreshed_at, now()) + make_interval(mins => ?::int) end
        where id = ?`,
      [refreshMinutes, refreshMinutes, refreshMinutes, dataset.id] as any[]
    )
  )
  return (await findDataset(tenant, dataset.id))!
}

export type RefreshOutcome =
  | { ok: true; inserted: number; updated: number; removed: number; errors: number }
  | { ok: false; error: string }

/**
 * Reads the address again into the dataset. Runs in a job (or a test);
 * safe to run twice: the second only finds the sheet unchanged.
 */
export async function refreshDataset(
  tenant: TenantContext,
  datasetId: string
): Promise<RefreshOutcome> {
  const dataset = await findDatasetOrFail(tenant, datasetId)
  if (!dataset.source) return { ok: false, error: 'This dataset has no address.' }
  if (dataset.status !== 'ready') {
    return { ok: false, error: 'The dataset is not ready (its columns are not confirmed yet).' }
  }
  const done = (error: string | null) =>
    tenant.transaction((trx) =>
      trx.rawQuery(
        `update datasets set refresh_error = ?,
            refreshed_at = case when ?::text is null then now() else refreshed_at end,
            next_refresh_at = case when refresh_minutes is null then null
                                   else now() + make_interval(mins => refresh_minutes) end
          where id = ?`,
        [error, error, dataset.id] as any[]
      )
    )
  let bytes: Buffer
  try {
    bytes = await fetchSheet(dataset.source.url)
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error
    await done(error.message)
    return { ok: false, error: error.message }
  }
  const started = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery('select clock_timestamp() as at')
    return result.rows[0].at as Date
  })
  const importId = await addSheetImport(tenant, dataset, { bytes, filename: 'source.csv' })
  const imported = await runImport(tenant, importId)
  if (!imported || imported.status !== 'done') {
    const message = imported?.failure ?? 'The sheet could not be read.'
    await done(message)
    return { ok: false, error: message }
  }
  // What the sheet no longer has: rows not written by this import.
  const removed = await tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(`delete from ${dataset.rowTable} where updated_at < ?`, [
      started,
    ])
    return result.rowCount ?? 0
  })
  if (removed) await finishDataset(tenant, (await findDataset(tenant, dataset.id))!)
  await done(null)
  return {
    ok: true,
    inserted: imported.inserted,
    updated: imported.updated,
    removed,
    errors: imported.errorCount,
  }
}

/**
 * The sweep: every active tenant's datasets whose refresh is due get a
 * refresh job, keyed by dataset and due time so a sweep that runs twice
 * queues one. Their next due time moves on at once, under a row lock
 * (SKIP LOCKED), so two sweeps never take the same one.
 */
export async function queueDueRefreshes() {
  const { default: RefreshDatasetJob } = await import('../jobs/refresh_dataset_job.js')
  let queued = 0
  for (const tenant of await tenantsInStatus(['active'])) {
    const context = contextFor(tenant)
    try {
      const due = await context.transaction(async (trx) => {
        const result = await trx.rawQuery(
          `update datasets set next_refresh_at = now() + make_interval(mins => refresh_minutes)
            where id in (
              select id from datasets
               where source_url is not null and refresh_minutes is not null
                 and status = 'ready' and next_refresh_at <= now()
               order by next_refresh_at limit 50 for update skip locked)
            returning id, extract(epoch from now())::bigint as at`
        )
        return result.rows as Array<{ id: string; at: string }>
      })
      for (const row of due) {
        await dispatchTenantJob(
          RefreshDatasetJob,
          context,
          { datasetId: row.id },
          { jobId: `dataset-refresh-${tenant.slug}-${row.id}-${row.at}` }
        )
        queued++
      }
    } catch (error) {
      logger.error({ err: error, tenant: tenant.slug }, 'datasets: the refresh sweep failed')
    }
  }
  return queued
}
