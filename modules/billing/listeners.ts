import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { batchedWork } from '#app/queue/work_batch'
import { recordMonthlyUsageKeptOver } from './services/usage_service.js'

/*
| Billing meters what other modules announce. Every conversation counts
| against the month it opened in, once (the record is unique per
| conversation, so a re-emitted event counts once). One opened by a customer
| is kept beyond the limit, marked over it: inbound messages are never
| refused, the assistant leaves such conversations to people, and owners
| hear at 80% and 100%. Business-opened ones were refused before creation
| (channels asks limitGuard), so they never arrive here over the limit.
| The conversations a batch of webhooks opened (announced in one work
| batch, see app/queue/work_batch.ts) are metered together, per tenant.
*/
const meterConversations = batchedWork<{ tenantId: string; conversationId: string }>(
  async (events) => {
    const byTenant = new Map<string, string[]>()
    for (const event of events) {
      byTenant.set(event.tenantId, [...(byTenant.get(event.tenantId) ?? []), event.conversationId])
    }
    // One tenant's failure is its own: the others are still metered.
    for (const [tenantId, conversationIds] of byTenant) {
      await recordMonthlyUsageKeptOver(tenantId, 'conversations', conversationIds).catch((error) =>
        logger.error({ err: error, tenantId }, 'billing: conversations not metered')
      )
    }
  }
)

export function registerBillingListeners() {
  emitter.on('conversation:created', (event) => meterConversations(event))
}
