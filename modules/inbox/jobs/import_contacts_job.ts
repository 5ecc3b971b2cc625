import { TenantJob, contextFor, findUsableTenant } from '#modules/tenancy/index'
import type { TenantContext, TenantJobPayload } from '#modules/tenancy/index'
import { failContactImport, runContactImport } from '../services/contact_import_service.js'

interface Payload extends TenantJobPayload {
  importId: string
}

/**
 * Reads an uploaded CSV into the workspace's contacts (runContactImport:
 * resumes after the last row written). When the queue's retries are spent
 * the import is marked failed, so nobody watches a progress bar forever.
 */
export default class ImportContactsJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { importId }: Payload) {
    await runContactImport(tenant, importId)
  }

  async rescue(payload: Payload, _error: Error) {
    const tenant = await findUsableTenant(payload.tenant)
    if (!tenant) return
    await failContactImport(
      contextFor(tenant),
      payload.importId,
      'The import stopped on an unexpected error; the rows before it are saved. Try again, or contact support if it keeps failing.'
    )
  }
}
