import { TenantJob, type TenantContext, type TenantJobPayload } from '#modules/tenancy/index'
import { analyzeCustomerPdfs } from '../services/quotes/whatsapp_quotes.js'

interface Payload extends TenantJobPayload {
  conversationId: string
  contactId: string
  messageId: string
}

/** A customer's PDFs on WhatsApp, checked for a batch of quotes (services/quotes/whatsapp_quotes.ts). */
export default class CustomerQuotesJob extends TenantJob<Payload> {
  static get $$filepath() {
    return import.meta.url
  }

  async run(tenant: TenantContext, payload: Payload) {
    await analyzeCustomerPdfs(tenant, payload)
  }
}
