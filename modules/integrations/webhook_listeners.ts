import app from '@adonisjs/core/services/app'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import { usableTenantContext } from '#modules/tenancy/index'
import { knowledgeSourceEventData } from '#modules/brain/index'
import { publishEvent, type EventLoader } from './services/webhook_delivery_service.js'
import {
  contactData,
  conversationData,
  handoffData,
  messageData,
} from './services/webhook_payloads.js'
import { eventKeys, type WebhookEventType } from './services/webhook_events.js'
import { startWebhookRecovery } from './jobs/webhook_recovery_job.js'
import { WEBHOOKS_QUEUE } from './jobs/deliver_webhook_job.js'

/**
 * Turns the modules' typed events into outbound webhook deliveries. The
 * key given for an event that happens once per thing (a message received,
 * a status reached, a source version ready) makes its event id stable, so
 * an internal event emitted twice reaches each receiver once; events that
 * recur (an assignment, an update) get a fresh id each time.
 *
 * A failure here is logged and never raised: the action that emitted the
 * event has already happened and must not fail because of a webhook.
 */
export function registerWebhookListeners() {
  const on = (
    event: { tenant: string },
    type: WebhookEventType,
    key: string | null,
    load: EventLoader
  ) =>
    publish(event.tenant, type, key, load).catch((error) => {
      logger.error({ err: error, tenant: event.tenant, type }, 'webhook event not queued')
    })

  emitter.on('message:received', (e) =>
    on(e, 'message.received', eventKeys.messageReceived(e.messageId), (trx) =>
      messageData(trx, e.messageId)
    )
  )
  // Internal notes stay inside the team.
  emitter.on('message:sent', async (e) => {
    if (e.isNote) return
    await on(e, 'message.sent', eventKeys.messageSent(e.messageId), (trx) =>
      messageData(trx, e.messageId)
    )
  })
  emitter.on('message:status', (e) =>
    on(e, 'message.status', eventKeys.messageStatus(e.messageId, e.status), (trx) =>
      messageData(trx, e.messageId)
    )
  )
  emitter.on('conversation:created', (e) =>
    on(e, 'conversation.created', eventKeys.conversationCreated(e.conversationId), (trx) =>
      conversationData(trx, e.conversationId)
    )
  )
  emitter.on('conversation:assigned', (e) =>
    on(e, 'conversation.assigned', null, (trx) => conversationData(trx, e.conversationId))
  )
  emitter.on('conversation:resolved', (e) =>
    on(e, 'conversation.resolved', null, (trx) => conversationData(trx, e.conversationId))
  )
  emitter.on('contact:created', (e) =>
    on(e, 'contact.created', eventKeys.contactCreated(e.contactId), (trx) =>
      contactData(trx, e.contactId)
    )
  )
  emitter.on('contact:updated', (e) =>
    on(e, 'contact.updated', null, (trx) => contactData(trx, e.contactId))
  )
  emitter.on('handoff:requested', (e) =>
    on(e, 'handoff.requested', null, (trx) => handoffData(trx, e))
  )
  emitter.on('brain:source_ready', (e) =>
    on(e, 'knowledge.source_ready', eventKeys.sourceReady(e.sourceId, e.version), (trx) =>
      knowledgeSourceEventData(trx, e.sourceId)
    )
  )
  emitter.on('brain:source_failed', (e) =>
    on(e, 'knowledge.source_failed', eventKeys.sourceFailed(e.sourceId, e.version), (trx) =>
      knowledgeSourceEventData(trx, e.sourceId)
    )
  )

  // Where a worker pool works the webhooks queue, stranded deliveries are
  // swept up on the cluster's schedule (not in tests, which call the sweep
  // themselves). The schedule outlives any one pool.
  emitter.on('queue:started', async ({ queues }) => {
    if (queues.includes(WEBHOOKS_QUEUE) && !app.inTest) await startWebhookRecovery()
  })
}

async function publish(
  slug: string,
  type: WebhookEventType,
  key: string | null,
  load: EventLoader
) {
  const tenant = await usableTenantContext(slug)
  if (!tenant) return
  await publishEvent(tenant, type, key, load)
}
