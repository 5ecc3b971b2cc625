import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Idempotency-Key records for the REST API, kept 24 hours. In Postgres rather
 * than Redis because the unique key is what makes a repeated POST race-proof
 * (exactly one request inserts the row and runs), and the stored response
 * must survive a Redis flush as surely as the contact it describes.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('api_idempotency', (table) => {
      table.bigIncrements('id')
      table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE')
      table.string('idempotency_key', 255).notNullable()
      table.uuid('api_key_id').nullable().references('id').inTable('api_keys').onDelete('SET NULL')
      // SHA-256 of method, path and body: the same key with another request is refused.
      table.string('request_hash', 64).notNullable()
      table.string('status', 20).notNullable().checkIn(['in_progress', 'done'])
      table.integer('response_status').nullable()
      table.jsonb('response_headers').nullable()
      table.text('response_body').nullable()
      // When the running request claimed the key; a claim left by a crash expires.
      table.timestamp('locked_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('expires_at', { useTz: true }).notNullable()
      table.unique(['tenant_id', 'idempotency_key'])
      table.index(['expires_at'])
    })
  }

  async down() {
    this.schema.dropTable('api_idempotency')
  }
}
