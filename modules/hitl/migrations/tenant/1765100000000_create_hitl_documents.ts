import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Files a task shows as `document` components (the quote analyzer's PDFs):
 * kept in the tenant schema with the task that shows them, served only to
 * members who may see that task, and removed with it.
 */
export default class extends BaseSchema {
  async up() {
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
  }
}
