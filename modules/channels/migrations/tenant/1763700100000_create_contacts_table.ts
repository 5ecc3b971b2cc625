import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Runs inside a tenant schema (tenancy sets the search_path for the
 * migration's transaction), so table names are unqualified.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('contacts', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      // E.164, e.g. +15550001234. Null for web-chat visitors who gave none.
      table.string('phone', 20).nullable().unique()
      table.string('name', 200).nullable()
      table.string('profile_name', 200).nullable()
      table.string('email', 254).nullable()
      table.jsonb('attributes').notNullable().defaultTo('{}')
      table.specificType('tags', 'text[]').notNullable().defaultTo('{}')
      table.text('notes').nullable()
      table
        .string('opt_in', 12)
        .notNullable()
        .defaultTo('unknown')
        .checkIn(['unknown', 'opted_in', 'opted_out'])
      table.timestamp('opted_out_at', { useTz: true }).nullable()
      table.string('source', 40).notNullable().defaultTo('manual')
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['updated_at'])
    })
    this.schema.raw('create index contacts_tags_gin on contacts using gin (tags)')
  }

  async down() {
    this.schema.dropTable('contacts')
  }
}
