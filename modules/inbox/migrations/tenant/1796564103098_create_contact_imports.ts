import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * CSV imports of contacts: the uploaded file's columns, how a member mapped
 * them, the job's progress (`processed` is the last data row written, so a
 * retried job resumes after it) and each refused row's reason, kept apart
 * so a large file's report is read a page at a time.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('contact_imports', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .string('status', 10)
        .notNullable()
        .defaultTo('mapping')
        .checkIn(['mapping', 'queued', 'running', 'done', 'failed'])
      table.string('file_name', 255).notNullable()
      table.string('file_key', 255).nullable()
      table.jsonb('headers').notNullable().defaultTo('[]')
      table.jsonb('sample').notNullable().defaultTo('[]')
      table.jsonb('mapping').notNullable().defaultTo('[]')
      table.string('default_country', 2).nullable()
      table.string('label', 50).nullable()
      table.string('delimiter', 1).notNullable().defaultTo(',')
      table.integer('total').nullable()
      table.integer('processed').notNullable().defaultTo(0)
      table.integer('created_count').notNullable().defaultTo(0)
      table.integer('updated_count').notNullable().defaultTo(0)
      // Rows whose phone an earlier row of the same batch had: merged into that contact.
      table.integer('repeated_count').notNullable().defaultTo(0)
      table.integer('error_count').notNullable().defaultTo(0)
      table.text('failure').nullable()
      table.uuid('created_by_user_id').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('started_at', { useTz: true }).nullable()
      table.timestamp('finished_at', { useTz: true }).nullable()
      table.index(['created_at'])
    })
    this.schema.createTable('contact_import_errors', (table) => {
      table.bigIncrements('id')
      table
        .uuid('import_id')
        .notNullable()
        .references('id')
        .inTable('contact_imports')
        .onDelete('CASCADE')
      table.integer('row').notNullable()
      table.string('column', 255).nullable()
      table.string('code', 30).notNullable()
      table.text('value').nullable()
      table.index(['import_id', 'row'])
    })
  }

  async down() {
    this.schema.dropTable('contact_import_errors')
    this.schema.dropTable('contact_imports')
  }
}
