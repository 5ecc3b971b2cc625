import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * "Sync now" from the templates page: one row per WhatsApp number of a
 * request, rows of one request sharing `batch_id`. The sync job writes how
 * it went, so the page can show progress and WhatsApp's refusal (an expired
 * token) to the person who asked, not only to the logs.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('template_syncs', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('batch_id').notNullable().index()
      table.uuid('channel_id').notNullable()
      // A central user id (no foreign key across schemas).
      table.uuid('requested_by').nullable()
      // queued, running, done, failed
      table.string('status', 12).notNullable().defaultTo('queued')
      table.integer('total').nullable()
      table.integer('changed').nullable()
      table.text('error').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('finished_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.dropTable('template_syncs')
  }
}
