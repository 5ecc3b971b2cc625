import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A drain (see services/inbound_queue.ts) takes its workspace's
 * unprocessed webhook events oldest first: this partial index holds just
 * those, in that order, so the claim reads only what it takes.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(
      `create index webhook_events_pending_by_tenant on webhook_events (tenant_id, id)
        where processed_at is null`
    )
  }

  async down() {
    this.schema.raw('drop index if exists webhook_events_pending_by_tenant')
  }
}
