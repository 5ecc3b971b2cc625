import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Draft replies for approval: on a channel with it on, the assistant's
 * answer becomes a task (modules/hitl) a person approves, edits or rejects
 * before anything reaches the customer. Off by default.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('assistant_settings', (table) => {
      table.boolean('draft_replies').notNullable().defaultTo(false)
    })
  }

  async down() {
    this.schema.alterTable('assistant_settings', (table) => {
      table.dropColumn('draft_replies')
    })
  }
}
