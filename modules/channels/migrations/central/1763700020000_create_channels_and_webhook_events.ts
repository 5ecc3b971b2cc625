import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Central because a webhook names only a phone_number_id: the app must find
 * the channel, its tenant and its app secret before it knows any schema.
 * Rows belong to a tenant and are always read with its id.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('channels', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE')
      table.string('type', 20).notNullable().checkIn(['whatsapp', 'sandbox', 'webchat'])
      table.string('name', 120).notNullable()
      table.string('status', 20).notNullable().defaultTo('active').checkIn(['active', 'disabled'])
      // WhatsApp Cloud API: the routing key of every webhook.
      table.string('phone_number_id', 64).nullable().unique()
      table.string('waba_id', 64).nullable()
      table.string('display_number', 32).nullable()
      // Encrypted with APP_KEY; shown again only masked.
      table.text('access_token_encrypted').nullable()
      table.text('app_secret_encrypted').nullable()
      table.string('verify_token', 200).nullable()
      table.jsonb('settings').notNullable().defaultTo('{}')
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['tenant_id'])
    })

    // Every accepted webhook is written here before Meta gets its 200, then
    // processed by jobs; a crash between the two loses nothing.
    this.schema.createTable('webhook_events', (table) => {
      table.bigIncrements('id')
      table.string('provider', 20).notNullable()
      table.uuid('channel_id').nullable().references('id').inTable('channels').onDelete('SET NULL')
      table.uuid('tenant_id').nullable().references('id').inTable('tenants').onDelete('CASCADE')
      table.jsonb('payload').notNullable()
      table.timestamp('received_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('processed_at', { useTz: true }).nullable()
      table.integer('attempts').notNullable().defaultTo(0)
      table.text('last_error').nullable()
      table.index(['tenant_id', 'received_at'])
    })
    this.schema.raw(
      'create index webhook_events_unprocessed on webhook_events (received_at) where processed_at is null'
    )
  }

  async down() {
    this.schema.dropTable('webhook_events')
    this.schema.dropTable('channels')
  }
}
