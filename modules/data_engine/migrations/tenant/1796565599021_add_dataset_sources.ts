import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A dataset read from a CSV address and refreshed on a schedule: the
 * address, how often (minutes; null: only by hand), when it is next due
 * (indexed for the sweep that finds due ones), and how the last refresh went.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('datasets', (table) => {
      table.text('source_url').nullable()
      table.integer('refresh_minutes').nullable()
      table.timestamp('next_refresh_at', { useTz: true }).nullable().index()
      table.timestamp('refreshed_at', { useTz: true }).nullable()
      table.text('refresh_error').nullable()
    })
  }

  async down() {
    this.schema.alterTable('datasets', (table) => {
      table.dropColumn('source_url')
      table.dropColumn('refresh_minutes')
      table.dropColumn('next_refresh_at')
      table.dropColumn('refreshed_at')
      table.dropColumn('refresh_error')
    })
  }
}
