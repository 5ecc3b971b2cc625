import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { applyKeywords } from '../services/opt_out_service.js'

interface Payload extends TenantJobPayload {
  messageId: string
}

/** Reads one inbound message for opt-out/opt-in keywords (see opt_out_service). */
export default class ApplyKeywordsJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, { messageId }: Payload) {
    await applyKeywords(tenant, messageId)
  }
}
