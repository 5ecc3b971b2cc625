import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * When a webhook's earliest message was sent, read at intake. The ordered
 * hand-off (services/inbound_ordering.ts) holds a customer's messages only
 * for their unprocessed webhooks that may carry an earlier message; knowing
 * the time, it holds for exactly those. Null (rows stored before this, or a
 * webhook whose messages give no time) holds as before: for everything.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('webhook_events', (table) => {
      table.timestamp('earliest_message_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.alterTable('webhook_events', (table) => {
      table.dropColumn('earliest_message_at')
    })
  }
}
