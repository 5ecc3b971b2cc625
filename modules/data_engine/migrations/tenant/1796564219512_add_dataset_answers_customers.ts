import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Whether the assistant may answer customers from a dataset's rows. Off by
 * default: a sheet of commissions or owners' numbers is not for customers,
 * so a manager turns it on per dataset.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('datasets', (table) => {
      table.boolean('answers_customers').notNullable().defaultTo(false)
    })
  }

  async down() {
    this.schema.alterTable('datasets', (table) => {
      table.dropColumn('answers_customers')
    })
  }
}
