import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The REST API walks contacts newest first and conversations most recently
 * updated first, a page at a time by keyset (column, id). Without these an
 * n8n flow paging through a large workspace sorts the whole table per page.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('contacts', (table) => {
      table.index(['created_at', 'id'], 'contacts_created_at_id_index')
    })
    this.schema.alterTable('conversations', (table) => {
      table.index(['updated_at', 'id'], 'conversations_updated_at_id_index')
    })
  }

  async down() {
    this.schema.alterTable('conversations', (table) => {
      table.dropIndex(['updated_at', 'id'], 'conversations_updated_at_id_index')
    })
    this.schema.alterTable('contacts', (table) => {
      table.dropIndex(['created_at', 'id'], 'contacts_created_at_id_index')
    })
  }
}
