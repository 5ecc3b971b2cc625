import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Web chat visitors: a browser that opened a web chat channel's widget. The
 * visitor proves who they are with a random token kept in their browser;
 * only its SHA-256 is stored here, so a leaked table does not let anyone
 * write as a visitor. Each visitor is a contact (source 'webchat', usually
 * without a phone number).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('webchat_visitors', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      // A central channel row (no foreign key across schemas); checked by the service.
      table.uuid('channel_id').notNullable()
      table
        .uuid('contact_id')
        .notNullable()
        .references('id')
        .inTable('contacts')
        .onDelete('CASCADE')
      table.string('token_hash', 64).notNullable().unique()
      table.string('locale', 8).nullable()
      table.timestamp('last_seen_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['contact_id'])
    })
  }

  async down() {
    this.schema.dropTable('webchat_visitors')
  }
}
