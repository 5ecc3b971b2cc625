import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Usage metering. `usage_records` holds one row per metered thing of a
 * month (a conversation opened, an AI answer given), unique per subject so
 * a job that runs twice counts once; the month's usage is a count of rows.
 * `usage_notices` records each 80% / 100% e-mail sent, so it goes once per
 * limit per month. Billing's migrations run before tenancy's on a fresh
 * database, so tenant_id carries no foreign key.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('usage_records', (table) => {
      table.bigIncrements('id')
      table.uuid('tenant_id').notNullable()
      table.string('metric', 40).notNullable()
      // The calendar month (UTC) it counts against: '2026-03'.
      table.string('period', 7).notNullable()
      table.string('subject', 100).notNullable()
      // A conversation opened beyond the month's limit is kept but marked.
      table.boolean('over_limit').notNullable().defaultTo(false)
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['tenant_id', 'metric', 'subject'])
      table.index(['tenant_id', 'metric', 'period'])
    })
    this.schema.createTable('usage_notices', (table) => {
      table.uuid('tenant_id').notNullable()
      table.string('metric', 40).notNullable()
      table.string('period', 7).notNullable()
      table.smallint('threshold').notNullable()
      table.timestamp('sent_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.primary(['tenant_id', 'metric', 'period', 'threshold'])
    })
  }

  async down() {
    this.schema.dropTable('usage_notices')
    this.schema.dropTable('usage_records')
  }
}
