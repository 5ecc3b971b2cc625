import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The scheduler's due work (services/scheduler.ts): every timed step of a
 * sequence, check-in, nudge or reminder is one row, unique by its dedupe
 * key, claimed with FOR UPDATE SKIP LOCKED when due. The table is the
 * schedule's source of truth; nothing lives only in Redis.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('due_work', (table) => {
      table.bigIncrements('id').primary()
      table.string('kind', 48).notNullable()
      table.string('dedupe_key', 300).notNullable().unique()
      table.uuid('contact_id').nullable()
      table.string('ref_id', 100).nullable()
      table.timestamp('due_at', { useTz: true }).notNullable()
      table.jsonb('payload').notNullable().defaultTo('{}')
      // pending | claimed | done | cancelled | failed
      table.string('status', 12).notNullable().defaultTo('pending')
      table.timestamp('claimed_at', { useTz: true }).nullable()
      table.string('claimed_by', 64).nullable()
      table.integer('attempts').notNullable().defaultTo(0)
      table.text('last_error').nullable()
      table.jsonb('result').nullable()
      // The message a step sent, written in the send's own statement.
      table.uuid('message_id').nullable()
      table.timestamp('finished_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['contact_id', 'due_at'])
      table.index(['kind', 'ref_id'])
    })
    this.schema.raw(
      `create index due_work_pending_due_idx on due_work (due_at) where status = 'pending'`
    )
    this.schema.raw(
      `create index due_work_claimed_idx on due_work (claimed_at) where status = 'claimed'`
    )
  }

  async down() {
    this.schema.dropTable('due_work')
  }
}
