import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The wa_ids whose messages a stored webhook carries, written at intake.
 * Ordering needs them: a conversation's hand-off waits while an event of the
 * same sender is still unprocessed (a worker died holding it), so a message
 * stamped earlier is never handed on after a later one. The partial index
 * covers only the few unprocessed rows.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('webhook_events', (table) => {
      table.specificType('senders', 'text[]').notNullable().defaultTo('{}')
    })
    this.schema.raw(
      `create index webhook_events_unprocessed_senders on webhook_events
        using gin (senders) where processed_at is null`
    )
  }

  async down() {
    this.schema.raw('drop index if exists webhook_events_unprocessed_senders')
    this.schema.alterTable('webhook_events', (table) => {
      table.dropColumn('senders')
    })
  }
}
