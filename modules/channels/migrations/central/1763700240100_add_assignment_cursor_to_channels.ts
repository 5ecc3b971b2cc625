import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Round-robin assignment's place in the queue of a channel: the member who
 * got its last conversation. Advanced under a row lock, so two workers
 * assigning at once never hand two conversations to the same person while
 * skipping another.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('channels', (table) => {
      table.uuid('last_assigned_user_id').nullable()
    })
  }

  async down() {
    this.schema.alterTable('channels', (table) => {
      table.dropColumn('last_assigned_user_id')
    })
  }
}
