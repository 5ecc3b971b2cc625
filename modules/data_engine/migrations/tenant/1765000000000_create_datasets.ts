import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Datasets: a tenant's own tables (listings, products), searched in natural
 * language. The rows of each dataset live in a table of their own with one
 * typed column per dataset column (see row_table.ts), so filters are real
 * comparisons on real types with ordinary indexes, and deleting a dataset
 * drops its table. These two tables describe them and their imports.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('datasets', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      table.text('description').notNullable().defaultTo('')
      // [{name, slot, type, currency, filterable, searchable, shown, synonyms, choices}]
      table.jsonb('columns').notNullable().defaultTo('[]')
      // The column whose value identifies a row for upserts (by name), or none.
      table.string('key_column', 120).nullable()
      // The row table's name inside the tenant schema (dsr_<hex>).
      table.string('row_table', 40).notNullable().unique()
      // draft: columns inferred, waiting for the person to confirm them.
      table
        .string('status', 12)
        .notNullable()
        .defaultTo('draft')
        .checkIn(['draft', 'importing', 'ready', 'failed'])
      table.integer('row_count').notNullable().defaultTo(0)
      table.bigInteger('size_bytes').notNullable().defaultTo(0)
      table.uuid('created_by_user_id').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('dataset_imports', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .uuid('dataset_id')
        .notNullable()
        .references('id')
        .inTable('datasets')
        .onDelete('CASCADE')
      table.string('source', 8).notNullable().checkIn(['csv', 'xlsx', 'api'])
      table.string('file_key', 500).nullable()
      table.string('file_name', 255).nullable()
      table
        .string('status', 12)
        .notNullable()
        .defaultTo('queued')
        .checkIn(['queued', 'processing', 'done', 'failed'])
      table.integer('total').nullable()
      table.integer('done').notNullable().defaultTo(0)
      table.integer('inserted').notNullable().defaultTo(0)
      table.integer('updated').notNullable().defaultTo(0)
      table.integer('error_count').notNullable().defaultTo(0)
      // The first errors, [{row, column, message}]; error_count counts them all.
      table.jsonb('errors').notNullable().defaultTo('[]')
      table.text('failure').nullable()
      table.timestamp('started_at', { useTz: true }).nullable()
      table.timestamp('finished_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['dataset_id', 'created_at'])
    })
  }

  async down() {
    this.schema.dropTable('dataset_imports')
    this.schema.dropTable('datasets')
  }
}
