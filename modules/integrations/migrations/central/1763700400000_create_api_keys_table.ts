import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * API keys are central: a request carries only its token, and the key must be
 * found (and its tenant known) before any tenant schema is chosen. Only a
 * SHA-256 of the secret part is kept; the public prefix finds the row.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('api_keys', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE')
      table.string('name', 120).notNullable()
      // Public, part of the token and shown in the list: the lookup key.
      table.string('prefix', 16).notNullable().unique()
      table.string('token_hash', 64).notNullable()
      table.string('last_four', 4).notNullable()
      table.specificType('scopes', 'text[]').notNullable().defaultTo('{}')
      table.timestamp('expires_at', { useTz: true }).nullable()
      table.timestamp('last_used_at', { useTz: true }).nullable()
      table.timestamp('revoked_at', { useTz: true }).nullable()
      // A person who left keeps their keys working; the name stays in the audit log.
      table
        .uuid('created_by_user_id')
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('SET NULL')
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['tenant_id', 'created_at'])
    })
  }

  async down() {
    this.schema.dropTable('api_keys')
  }
}
