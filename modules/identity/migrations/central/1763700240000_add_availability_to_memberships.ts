import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A member's availability in a workspace: online members take part in
 * round-robin assignment, busy and offline ones are skipped. Per workspace,
 * because one person can be on duty in one and away in another.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('memberships', (table) => {
      table
        .string('availability', 10)
        .notNullable()
        .defaultTo('online')
        .checkIn(['online', 'busy', 'offline'])
    })
  }

  async down() {
    this.schema.alterTable('memberships', (table) => {
      table.dropColumn('availability')
    })
  }
}
