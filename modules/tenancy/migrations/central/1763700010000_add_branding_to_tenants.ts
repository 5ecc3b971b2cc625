import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A workspace's branding lives on its central row: it is small (the logo is
 * at most 1 MB), every process reads it from the same place, and it works
 * alike on the embedded and the server database.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('tenants', (table) => {
      table.string('display_name', 120).nullable()
      table.string('primary_color', 7).nullable()
      table.binary('logo').nullable()
      table.string('logo_mime', 40).nullable()
      table.timestamp('logo_updated_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.alterTable('tenants', (table) => {
      table.dropColumn('display_name')
      table.dropColumn('primary_color')
      table.dropColumn('logo')
      table.dropColumn('logo_mime')
      table.dropColumn('logo_updated_at')
    })
  }
}
