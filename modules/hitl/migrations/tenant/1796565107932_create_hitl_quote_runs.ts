import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A quote analysis runs as a job: its run row is what the progress page
 * reads (how many quotes are read so far, then the task it opened, or why
 * it failed). The PDFs are stored with the run before the job starts and
 * handed to the task it opens.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('hitl_quote_runs', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .string('status', 10)
        .notNullable()
        .defaultTo('queued')
        .checkIn(['queued', 'running', 'done', 'failed'])
      table.integer('total').notNullable()
      table.integer('done').notNullable().defaultTo(0)
      table.uuid('contact_id').nullable()
      table.uuid('conversation_id').nullable()
      table.string('language', 2).notNullable().defaultTo('en')
      // upload (an agent's form), whatsapp (a customer's PDFs), api.
      table.string('source', 10).notNullable().defaultTo('upload')
      table.string('source_ref', 255).nullable().unique()
      table.uuid('task_id').nullable().references('id').inTable('hitl_tasks').onDelete('SET NULL')
      table.text('error').nullable()
      table.uuid('created_by').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
    this.schema.alterTable('hitl_documents', (table) => {
      table
        .uuid('run_id')
        .nullable()
        .references('id')
        .inTable('hitl_quote_runs')
        .onDelete('CASCADE')
      // The order the files came in (the table's rows follow it).
      table.smallint('position').notNullable().defaultTo(0)
      // The customer's WhatsApp message the PDF came in (analyzed once).
      table.uuid('message_id').nullable()
      table.index(['message_id'])
      table.index(['run_id'])
      // The file is in the tenant's storage (drive) under this key; rows
      // written before it keep their bytes.
      table.string('storage_key', 500).nullable()
    })
    this.schema.raw('alter table hitl_documents alter column bytes drop not null')
    // The workspace's hitl settings: one row.
    this.schema.createTable('hitl_settings', (table) => {
      table.smallint('id').primary().defaultTo(1)
      // Customers' quote PDFs on WhatsApp start the quote analyzer.
      table.boolean('analyze_whatsapp_quotes').notNullable().defaultTo(false)
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
    this.schema.raw('alter table hitl_settings add constraint hitl_settings_one_row check (id = 1)')
  }

  async down() {
    this.schema.alterTable('hitl_documents', (table) =>
      table.dropColumns('run_id', 'position', 'message_id', 'storage_key')
    )
    this.schema.dropTable('hitl_settings')
    this.schema.dropTable('hitl_quote_runs')
  }
}
