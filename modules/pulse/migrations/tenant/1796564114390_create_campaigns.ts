import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Campaigns (one-off WhatsApp broadcasts) and their recipients. A recipient
 * row is unique per campaign and contact and is claimed before its message
 * is queued, so a contact gets a campaign at most once whatever crashes.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('campaigns', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      table.uuid('channel_id').notNullable()
      table.string('template_name', 512).notNullable()
      table.string('template_language', 15).notNullable()
      // {"1": "{{contact.name|there}}"}: body variable number to text.
      table.jsonb('variables').notNullable().defaultTo('{}')
      // {segment_id} | {labels: []} | {contact_ids: []}
      table.jsonb('audience').notNullable().defaultTo('{}')
      table.timestamp('schedule_at', { useTz: true }).nullable()
      // The schedule's wall-clock time in each contact's own time zone.
      table.boolean('local_time').notNullable().defaultTo(false)
      table.string('local_at', 16).nullable()
      // Quiet hours in the contact's time, minutes after midnight (null: none).
      table
        .integer('quiet_start')
        .nullable()
        .defaultTo(21 * 60)
      table
        .integer('quiet_end')
        .nullable()
        .defaultTo(9 * 60)
      table.boolean('allow_unknown_consent').notNullable().defaultTo(false)
      table.boolean('requires_approval').notNullable().defaultTo(false)
      table.uuid('approval_task_id').nullable()
      table.string('status', 24).notNullable().defaultTo('draft')
      // Bumped at every launch and resume: a dispatcher of an older one stops.
      table.integer('generation').notNullable().defaultTo(0)
      table.uuid('created_by').nullable()
      table.timestamp('started_at', { useTz: true }).nullable()
      table.timestamp('completed_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['created_at'])
      table.index(['status'])
    })

    this.schema.createTable('campaign_recipients', (table) => {
      table.bigIncrements('id').primary()
      table
        .uuid('campaign_id')
        .notNullable()
        .references('id')
        .inTable('campaigns')
        .onDelete('CASCADE')
      table.uuid('contact_id').notNullable()
      table.string('phone', 32).nullable()
      table.string('time_zone', 64).nullable()
      // queued | sending | accepted | sent | delivered | read | failed | skipped
      table.string('status', 16).notNullable()
      table.string('skip_reason', 64).nullable()
      table.jsonb('variables').notNullable().defaultTo('[]')
      table.timestamp('due_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.integer('attempt').notNullable().defaultTo(0)
      table.timestamp('claimed_at', { useTz: true }).nullable()
      table.uuid('message_id').nullable()
      table.timestamp('sent_at', { useTz: true }).nullable()
      table.timestamp('delivered_at', { useTz: true }).nullable()
      table.timestamp('read_at', { useTz: true }).nullable()
      table.timestamp('replied_at', { useTz: true }).nullable()
      table.timestamp('failed_at', { useTz: true }).nullable()
      table.integer('error_code').nullable()
      table.string('error_title', 512).nullable()
      table.boolean('retryable').notNullable().defaultTo(false)
      table.timestamp('retry_after', { useTz: true }).nullable()
      table.string('cost_category', 32).nullable()
      table.unique(['campaign_id', 'contact_id'])
      table.index(['campaign_id', 'status', 'due_at'])
      table.index(['message_id'])
      table.index(['contact_id', 'sent_at'])
    })
  }

  async down() {
    this.schema.dropTable('campaign_recipients')
    this.schema.dropTable('campaigns')
  }
}
