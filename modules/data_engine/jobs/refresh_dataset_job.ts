import { TenantJob } from '#modules/tenancy/index'
import type { TenantContext, TenantJobPayload } from '#modules/tenancy/index'
import { refreshDataset } from '../services/dataset_sources.js'

interface Payload extends TenantJobPayload {
  datasetId: string
}

/** Reads a dataset's CSV address again (see refreshDataset); a failure is kept on the dataset. */
export default class RefreshDatasetJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { datasetId }: Payload) {
    await refreshDataset(tenant, datasetId)
  }
}
