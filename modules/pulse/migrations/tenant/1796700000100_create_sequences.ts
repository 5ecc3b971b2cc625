import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Sequences (drip journeys): their steps as a tree (branches nested in the
 * step that chooses), who is enrolled and where each enrollment stands, and
 * each enrollment's timeline (what ran, what was skipped and why). The
 * timed work itself is in due_work (the scheduler's table).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('sequences', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      // draft | active | paused | archived
      table.string('status', 16).notNullable().defaultTo('draft')
      table.uuid('channel_id').nullable()
      table.jsonb('steps').notNullable().defaultTo('[]')
      // {labels: [], segment_ids: [], keywords: [], campaign_ids: []}
      table.jsonb('triggers').notNullable().defaultTo('{}')
      table.boolean('exit_on_reply').notNullable().defaultTo(true)
      // {label} | {field, value}
      table.jsonb('goal').nullable()
      // never | after_cooldown
      table.string('reentry', 16).notNullable().defaultTo('never')
      table.integer('cooldown_days').notNullable().defaultTo(0)
      table
        .integer('quiet_start')
        .nullable()
        .defaultTo(21 * 60)
      table
        .integer('quiet_end')
        .nullable()
        .defaultTo(9 * 60)
      table.uuid('created_by').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['status'])
    })

    this.schema.createTable('sequence_enrollments', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .uuid('sequence_id')
        .notNullable()
        .references('id')
        .inTable('sequences')
        .onDelete('CASCADE')
      table.uuid('contact_id').notNullable()
      // active | completed | exited
      table.string('status', 16).notNullable().defaultTo('active')
      table.string('source', 24).notNullable()
      table.string('current_step', 40).nullable()
      // Set while a "wait for a reply" step waits.
      table.string('waiting_step', 40).nullable()
      table.string('exit_reason', 40).nullable()
      table.jsonb('last_reply').nullable()
      table.timestamp('enrolled_at', { useTz: true }).notNullable()
      table.timestamp('ended_at', { useTz: true }).nullable()
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['contact_id', 'status'])
      table.index(['sequence_id', 'status'])
    })
    this.schema.raw(
      `create unique index sequence_enrollments_one_active
         on sequence_enrollments (sequence_id, contact_id) where status = 'active'`
    )

    this.schema.createTable('sequence_events', (table) => {
      table.bigIncrements('id').primary()
      table
        .uuid('enrollment_id')
        .notNullable()
        .references('id')
        .inTable('sequence_enrollments')
        .onDelete('CASCADE')
      table.uuid('contact_id').notNullable()
      table.string('step_id', 40).nullable()
      // enrolled | ran | sent | skipped | waiting | branch | exited | completed | failed
      table.string('kind', 16).notNullable()
      table.jsonb('detail').notNullable().defaultTo('{}')
      table.timestamp('at', { useTz: true }).notNullable()
      // One entry per step and kind: a step run again after a crash writes nothing new.
      table.string('dedupe_key', 200).nullable().unique()
      table.index(['enrollment_id', 'id'])
      table.index(['contact_id', 'at'])
    })
  }

  async down() {
    this.schema.dropTable('sequence_events')
    this.schema.dropTable('sequence_enrollments')
    this.schema.dropTable('sequences')
  }
}
