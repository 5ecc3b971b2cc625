import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Cross-cutting web state: sessions (tagged by user so they can be ended
 * together) and the development mailbox that stands in
 * for SMTP when none is configured.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('sessions', (table) => {
      table.string('id').primary()
      table.text('data').notNullable()
      table.string('user_id').nullable().index()
      table.timestamp('expires_at', { useTz: true }).notNullable().index()
    })

    this.schema.createTable('dev_mails', (table) => {
      table.bigIncrements('id')
      table.string('message_id', 255).notNullable()
      table.text('from_address').notNullable()
      table.text('to_addresses').notNullable()
      table.text('subject').notNullable().defaultTo('')
      table.text('html').nullable()
      table.text('text').nullable()
      table.timestamp('sent_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['to_addresses'])
    })
  }

  async down() {
    this.schema.dropTable('dev_mails')
    this.schema.dropTable('sessions')
  }
}
