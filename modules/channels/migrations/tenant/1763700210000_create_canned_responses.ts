import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Canned responses: replies a team writes once and inserts by typing
 * `/shortcut` in the inbox composer. The shortcut is stored lowercase, so
 * the unique index is what keeps two from answering to the same word.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('canned_responses', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('shortcut', 32).notNullable().unique()
      table.string('title', 120).notNullable()
      table.text('body').notNullable()
      // A central user id (no foreign key across schemas); kept when the member leaves.
      table.uuid('created_by').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
  }

  async down() {
    this.schema.dropTable('canned_responses')
  }
}
