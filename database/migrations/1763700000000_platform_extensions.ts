import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Extensions live in their own schema so a tenant's search_path can include
 * them (pgvector's types and operators) without also exposing `public`, where
 * the platform's central tables are.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw('create schema if not exists extensions')
    this.schema.raw('create extension if not exists vector with schema extensions')
    this.schema.createTable('platform_state', (table) => {
      table.string('key', 100).primary()
      table.jsonb('value').notNullable().defaultTo('{}')
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
  }

  async down() {
    this.schema.dropTable('platform_state')
  }
}
