import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The ids of deleted webhook subscriptions, so a repeated unsubscribe (Zapier
 * retries one it thinks failed, n8n deletes on every deactivation) learns
 * the hook is gone rather than "not found". Kept per tenant schema like the
 * subscriptions, so another tenant's id stays unknown here.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('deleted_webhook_subscriptions', (table) => {
      table.uuid('id').primary()
      table.timestamp('deleted_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
  }

  async down() {
    this.schema.dropTable('deleted_webhook_subscriptions')
  }
}
