import { BaseSchema } from '@adonisjs/lucid/schema'

/** Saved audiences: a name and a contact filter the inbox compiles to SQL. */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('segments', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      table.jsonb('filter').notNullable().defaultTo('{"match":"all","conditions":[]}')
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['created_at'])
    })
  }

  async down() {
    this.schema.dropTable('segments')
  }
}
