import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Customer messages the booker answered as replies about their booking
 * ("cancel", "reschedule", a picked time), one row per inbound message:
 * claimed before the booking is touched, so a redelivered message is
 * answered once, and the assistant, which stays silent on these, can tell
 * one even after the booking it named is gone.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('booking_replies', (table) => {
      table.uuid('inbound_message_id').primary()
      table.uuid('booking_id').nullable()
      table.string('action', 20).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
  }

  async down() {
    this.schema.dropTable('booking_replies')
  }
}
