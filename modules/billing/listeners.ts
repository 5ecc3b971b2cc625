import emitter from '@adonisjs/core/services/emitter'
import { recordMonthlyUsage } from './services/usage_service.js'

/*
| Billing meters what other modules announce. Every conversation counts
| against the month it opened in, once (the record is unique per
| conversation, so a re-emitted event counts once). One opened by a customer
| is kept beyond the limit, marked over it: inbound messages are never
| refused, the assistant leaves such conversations to people, and owners
| hear at 80% and 100%. Business-opened ones were refused before creation
| (channels asks limitGuard), so they never arrive here over the limit.
*/
export function registerBillingListeners() {
  emitter.on('conversation:created', async (event) => {
    await recordMonthlyUsage(event.tenantId, 'conversations', event.conversationId, {
      keepOverLimit: true,
    })
  })
}
