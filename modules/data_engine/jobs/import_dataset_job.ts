import { TenantJob, contextFor, findUsableTenant } from '#modules/tenancy/index'
import type { TenantContext, TenantJobPayload } from '#modules/tenancy/index'
import { failImport, runImport } from '../services/dataset_service.js'

interface Payload extends TenantJobPayload {
  importId: string
}

/**
 * Reads an uploaded CSV or XLSX into its dataset (see runImport). When the
 * queue's retries are spent the import is marked failed, so nobody watches
 * a progress bar forever.
 */
export default class ImportDatasetJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { importId }: Payload) {
    await runImport(tenant, importId)
  }

  async rescue(payload: Payload, _error: Error) {
    const tenant = await findUsableTenant(payload.tenant)
    if (!tenant) return
    await failImport(
      contextFor(tenant),
      payload.importId,
      'The import stopped on an unexpected error; try again, or contact support if it keeps failing.'
    )
  }
}
