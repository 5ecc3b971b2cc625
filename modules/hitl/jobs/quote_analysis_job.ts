import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { runQuoteAnalysis } from '../services/quotes/quote_runs.js'

interface Payload extends TenantJobPayload {
  runId: string
  baseUrl: string | null
}

/** Reads a run's quote PDFs and opens the comparison task (services/quotes/quote_runs.ts). */
export default class QuoteAnalysisJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { runId, baseUrl }: Payload) {
    await runQuoteAnalysis(tenant, runId, { baseUrl })
  }
}
