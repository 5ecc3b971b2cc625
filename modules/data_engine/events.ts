import { findTenant, contextFor, dispatchTenantJobInBatch } from '#modules/tenancy/index'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { registerUsageMeter } from '#modules/billing/index'
import { registerDataAnswerer } from '#modules/brain/index'
import { answerFromDatasets } from './services/customer_answers.js'
import { answerFromConnectors } from './services/connector_answers.js'
import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import { scheduleDatasetRefresh } from './jobs/dataset_refresh_sweep_job.js'
import MemberSearchJob from './jobs/member_search_job.js'

/**
 * Datasets count against the plan's storage (the knowledge_bytes limit,
 * beside the brain's sources): their row tables with indexes, as last
 * measured after each import or write. `client` is the caller's tenant
 * transaction when it counts under its own lock.
 */
export async function datasetBytesInUse(tenantId: string, client?: TransactionClientContract) {
  const sum = (trx: TransactionClientContract) =>
    trx.rawQuery('select coalesce(sum(size_bytes), 0)::bigint as total from datasets')
  const tenant = client ? null : await findTenant(tenantId)
  if (!client && !tenant) return 0
  const result = client ? await sum(client) : await contextFor(tenant!).transaction(sum)
  return Number(result.rows[0]?.total ?? 0)
}

export function registerDataEngineListeners() {
  registerUsageMeter('knowledge_bytes', datasetBytesInUse)
  // A live lookup first: its phrases and parameters ("order 4471") are more
  // specific than a dataset's filters. Then a question that matches a
  // dataset is answered from its rows.
  registerDataAnswerer('connectors', answerFromConnectors)
  registerDataAnswerer('datasets', (question) => answerFromDatasets(question))
  // A team member writing from their own number searches the workspace's
  // data: answered by a job of its own per message (keyed on the wamid).
  emitter.on('member:message', async (event) => {
    await dispatchTenantJobInBatch(
      MemberSearchJob,
      { slug: event.tenant },
      {
        channelId: event.channelId,
        waId: event.waId,
        externalId: event.externalId,
        text: event.text,
        choiceId: event.choiceId,
        locale: event.locale,
      },
      { jobId: `member-search-${event.tenant}-${event.externalId}` }
    )
  })
  // Datasets read from a CSV address are read again on their schedule; only
  // real worker processes keep the sweep's schedule, not the test suite's pools.
  emitter.on('queue:started', async ({ queues }) => {
    if (queues.includes('default') && !app.inTest) await scheduleDatasetRefresh()
  })
}
