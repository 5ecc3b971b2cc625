import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Console-started provisioning runs: what the queued job needs (by id, so
 * the job payload holds no secrets) and how far it got, for the progress
 * page. The owner's password is kept only as a hash, and only until the run
 * succeeds.
 */
export default class extends BaseSchema {
  protected tableName = 'tenant_provisionings'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.uuid('tenant_id').primary().references('id').inTable('tenants').onDelete('CASCADE')
      table
        .string('status', 20)
        .notNullable()
        .defaultTo('queued')
        .checkIn(['queued', 'running', 'done', 'failed'])
      // The step under way, or the one that failed.
      table.string('step', 20).nullable()
      table.jsonb('completed_steps').notNullable().defaultTo('[]')
      table.text('error').nullable()
      table.integer('attempts').notNullable().defaultTo(0)
      table.string('owner_email', 255).notNullable()
      table.string('owner_name', 120).nullable()
      table.string('owner_password_hash', 255).nullable()
      // Who asked, so the job's audit rows name the admin, not "system".
      table.jsonb('actor').notNullable()
      table.timestamp('started_at', { useTz: true }).nullable()
      table.timestamp('finished_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
