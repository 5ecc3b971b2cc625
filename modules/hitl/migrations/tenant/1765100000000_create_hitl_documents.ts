import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A conversation's pending tasks are read on every inbox thread view and
 * every agent reply (the assistant's drafts): a partial index keeps that
 * to the few pending rows.
 *
 * Files a task shows as `document` components (the quote analyzer's PDFs):
 * kept in the tenant schema with the task that shows them, served only to
 * members who may see that task, and removed with it.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(
      `create index hitl_tasks_pending_conversation on hitl_tasks (conversation_id) where status = 'pending' and conversation_id is not null`
    )
    this.schema.createTable('hitl_documents', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('task_id').nullable().references('id').inTable('hitl_tasks').onDelete('CASCADE')
      table.string('filename', 200).notNullable()
      table.string('content_type', 100).notNullable().defaultTo('application/pdf')
      table.integer('pages').notNullable().defaultTo(0)
      table.integer('size').notNullable()
      table.binary('bytes').notNullable()
      // What the analyzer read, kept beside the file (the AI's values).
      table.jsonb('extraction').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['task_id'])
    })
  }

  async down() {
    this.schema.dropTable('hitl_documents')
    this.schema.raw('drop index if exists hitl_tasks_pending_conversation')
  }
}
