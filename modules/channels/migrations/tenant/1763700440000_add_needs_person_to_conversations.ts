import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('conversations', (table) => {
      // Set when the assistant (or the customer) hands the conversation to a
      // person; cleared when it is resolved or handed back. With nobody
      // assigned it is what the inbox's "Needs a person" view lists.
      table.timestamp('needs_person_at', { useTz: true }).nullable()
    })
    this.schema.raw(
      `create index conversations_needs_person_idx on conversations (needs_person_at)
        where needs_person_at is not null and assignee_id is null`
    )
  }

  async down() {
    this.schema.raw('drop index if exists conversations_needs_person_idx')
    this.schema.alterTable('conversations', (table) => table.dropColumn('needs_person_at'))
  }
}
