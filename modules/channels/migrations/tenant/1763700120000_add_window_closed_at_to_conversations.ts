import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('conversations', (table) => {
      // Set when WhatsApp refuses a free-form message as outside the window
      // (131047), whatever our own clock says; a new customer message reopens it.
      table.timestamp('window_closed_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.alterTable('conversations', (table) => table.dropColumn('window_closed_at'))
  }
}
