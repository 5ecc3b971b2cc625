import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Outbound webhooks: where a tenant's events go, and every delivery of one
 * event to one subscription. The unique (subscription, event) pair is what
 * makes an event emitted twice (a redelivered inbound batch) reach a
 * receiver once; retries and redeliveries reuse the delivery row.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('webhook_subscriptions', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.text('url').notNullable()
      // Event types ('message.received', ...) or ['*'] for every one.
      table.specificType('events', 'text[]').notNullable()
      table.text('secret_encrypted').notNullable()
      table.boolean('active').notNullable().defaultTo(true)
      table.string('description', 200).nullable()
      // 'api' for Zapier/n8n REST hooks, 'workspace' or 'api_webhooks' otherwise.
      table.string('created_via', 20).notNullable().defaultTo('workspace')
      // Set at the first failure after a success, cleared by the next success.
      table.timestamp('failing_since', { useTz: true }).nullable()
      // Why it was turned off by us ('gone', 'failing'), null when a person did it.
      table.string('disabled_reason', 40).nullable()
      table.timestamp('disabled_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('webhook_deliveries', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .uuid('subscription_id')
        .notNullable()
        .references('id')
        .inTable('webhook_subscriptions')
        .onDelete('CASCADE')
      table.string('event_id', 64).notNullable()
      table.string('event_type', 60).notNullable()
      // The envelope exactly as sent, so every attempt signs the same bytes.
      table.text('body').notNullable()
      // pending, sending, retrying, delivered, failed
      table.string('status', 20).notNullable().defaultTo('pending')
      table.integer('attempts').notNullable().defaultTo(0)
      table.integer('last_status_code').nullable()
      table.text('last_response_excerpt').nullable()
      table.text('last_error').nullable()
      table.integer('last_duration_ms').nullable()
      table.timestamp('last_attempt_at', { useTz: true }).nullable()
      table.timestamp('attempt_started_at', { useTz: true }).nullable()
      table.timestamp('next_attempt_at', { useTz: true }).nullable()
      table.timestamp('delivered_at', { useTz: true }).nullable()
      // Retries stop 24 hours after this: the event's time, or a manual redelivery's.
      table.timestamp('window_started_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['subscription_id', 'event_id'])
      table.index(['subscription_id', 'created_at'])
    })
  }

  async down() {
    this.schema.dropTable('webhook_deliveries')
    this.schema.dropTable('webhook_subscriptions')
  }
}
