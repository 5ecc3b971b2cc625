import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The business's standing rules for speaking first: follow-up nudges,
 * reminders on a contact's date field (renewals), daily check-in plans and
 * the weekly Relational Pulse, with the state each keeps per contact. The
 * timed work itself lives in the scheduler's due_work table; these rows
 * record what ran (once per key, by their unique indexes) and why something
 * was skipped.
 */
export default class extends BaseSchema {
  async up() {
    // A message template to fall back on once the 24-hour window is closed.
    const template = (table: any) => {
      table.string('template_name', 512).nullable()
      table.string('template_language', 15).nullable()
      // Body variable values with {{contact.<field>}} / {{text}} placeholders.
      table.jsonb('template_variables').notNullable().defaultTo('[]')
    }

    this.schema.createTable('nudge_rules', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      table.boolean('enabled').notNullable().defaultTo(true)
      // Only conversations carrying this label (null: every conversation).
      table.string('label', 60).nullable()
      table.integer('after_hours').notNullable()
      table.integer('max_nudges').notNullable().defaultTo(1)
      table.text('message').notNullable()
      template(table)
      // After the last nudge went unanswered: none | label | resolve.
      table.string('final_action', 12).notNullable().defaultTo('none')
      table.string('final_label', 60).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    // One per rule and conversation: the silence being watched since our last message.
    this.schema.createTable('nudge_threads', (table) => {
      table.bigIncrements('id').primary()
      table
        .uuid('rule_id')
        .notNullable()
        .references('id')
        .inTable('nudge_rules')
        .onDelete('CASCADE')
      table.uuid('conversation_id').notNullable()
      table.uuid('contact_id').notNullable()
      // The outbound message that started the wait (a nudge does not restart it).
      table.timestamp('since', { useTz: true }).notNullable()
      table.integer('nudges_sent').notNullable().defaultTo(0)
      // waiting | replied | finished | cancelled
      table.string('status', 12).notNullable().defaultTo('waiting')
      table.timestamp('next_at', { useTz: true }).nullable()
      table.string('last_outcome', 80).nullable()
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['rule_id', 'conversation_id'])
      table.index(['conversation_id'])
    })

    this.schema.createTable('nudge_sends', (table) => {
      table.bigIncrements('id').primary()
      table.uuid('rule_id').notNullable()
      table.uuid('conversation_id').notNullable()
      table.uuid('message_id').nullable().unique()
      table.integer('n').notNullable()
      table.timestamp('since', { useTz: true }).notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['rule_id', 'conversation_id', 'since', 'n'])
    })

    this.schema.createTable('date_rules', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      table.boolean('enabled').notNullable().defaultTo(true)
      // A contact field of type date (contacts.attributes[field_key]).
      table.string('field_key', 40).notNullable()
      // Days relative to the date, e.g. {-60,-30,-7}.
      table.specificType('offsets', 'integer[]').notNullable()
      table.string('local_time', 5).notNullable().defaultTo('10:00')
      table.uuid('channel_id').nullable()
      table.text('message').nullable()
      template(table)
      table.boolean('create_task').notNullable().defaultTo(false)
      table.string('task_title', 200).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    // Exactly once per rule, contact, field value and offset.
    this.schema.createTable('date_reminders', (table) => {
      table.bigIncrements('id').primary()
      table.uuid('rule_id').notNullable().references('id').inTable('date_rules').onDelete('CASCADE')
      table.uuid('contact_id').notNullable()
      table.date('field_value').notNullable()
      table.integer('offset_days').notNullable()
      table.timestamp('due_at', { useTz: true }).notNullable()
      // scheduled | sent | done | skipped | cancelled
      table.string('status', 12).notNullable().defaultTo('scheduled')
      table.string('skip_reason', 80).nullable()
      table.uuid('message_id').nullable()
      table.uuid('task_id').nullable()
      table.timestamp('ran_at', { useTz: true }).nullable()
      table.unique(['rule_id', 'contact_id', 'field_value', 'offset_days'])
      table.index(['contact_id'])
    })

    // The Renewals page's status, per contact and date (the field's value).
    this.schema.createTable('renewal_statuses', (table) => {
      table.bigIncrements('id').primary()
      table.string('field_key', 40).notNullable()
      table.uuid('contact_id').notNullable()
      table.date('field_value').notNullable()
      // reminded | in_talks | renewed | lost
      table.string('status', 12).notNullable()
      table.uuid('updated_by').nullable()
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['field_key', 'contact_id', 'field_value'])
    })

    this.schema.createTable('checkin_plans', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      table.boolean('enabled').notNullable().defaultTo(true)
      // ISO weekdays 1 (Monday) .. 7 (Sunday).
      table.specificType('days', 'integer[]').notNullable()
      table.string('local_time', 5).notNullable().defaultTo('08:00')
      table.text('question').notNullable()
      // Reply buttons; the first one counts toward the streak.
      table.jsonb('answers').notNullable().defaultTo('[]')
      table.text('follow_up').nullable()
      table.integer('nudge_after_hours').nullable()
      table.text('nudge_text').nullable()
      // Contacts with this tag are enrolled.
      table.string('tag', 60).nullable()
      table.uuid('channel_id').nullable()
      template(table)
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('checkin_enrollments', (table) => {
      table.bigIncrements('id').primary()
      table
        .uuid('plan_id')
        .notNullable()
        .references('id')
        .inTable('checkin_plans')
        .onDelete('CASCADE')
      table.uuid('contact_id').notNullable()
      table.boolean('active').notNullable().defaultTo(true)
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['plan_id', 'contact_id'])
      table.index(['contact_id'])
    })

    // One per plan, contact and local day.
    this.schema.createTable('checkins', (table) => {
      table.bigIncrements('id').primary()
      table
        .uuid('plan_id')
        .notNullable()
        .references('id')
        .inTable('checkin_plans')
        .onDelete('CASCADE')
      table.uuid('contact_id').notNullable()
      table.date('day').notNullable()
      // sent | answered | skipped
      table.string('status', 12).notNullable()
      table.string('skip_reason', 80).nullable()
      table.uuid('message_id').nullable()
      table.timestamp('sent_at', { useTz: true }).nullable()
      table.string('answer', 40).nullable()
      table.integer('answer_index').nullable()
      table.timestamp('answered_at', { useTz: true }).nullable()
      table.timestamp('nudged_at', { useTz: true }).nullable()
      table.unique(['plan_id', 'contact_id', 'day'])
      table.index(['contact_id', 'sent_at'])
    })

    // The Relational Pulse: one settings row per workspace, one draft per contact and week.
    this.schema.createTable('relational_pulse_settings', (table) => {
      table.integer('id').primary()
      table.boolean('enabled').notNullable().defaultTo(false)
      table.integer('weekday').notNullable().defaultTo(1)
      table.string('local_time', 5).notNullable().defaultTo('09:00')
      table.string('tag', 60).notNullable().defaultTo('pulse')
      table.boolean('requires_approval').notNullable().defaultTo(true)
      table.text('instructions').nullable()
      table.uuid('channel_id').nullable()
      template(table)
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('pulse_drafts', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('contact_id').notNullable()
      // The Monday of the contact's week.
      table.date('week').notNullable()
      table.text('text').notNullable()
      // model | template
      table.string('source', 12).notNullable()
      // awaiting_approval | sent | skipped | failed
      table.string('status', 20).notNullable()
      table.string('skip_reason', 120).nullable()
      table.uuid('task_id').nullable()
      table.uuid('message_id').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['contact_id', 'week'])
      table.index(['week', 'status'])
    })
  }

  async down() {
    for (const name of [
      'pulse_drafts',
      'relational_pulse_settings',
      'checkins',
      'checkin_enrollments',
      'checkin_plans',
      'renewal_statuses',
      'date_reminders',
      'date_rules',
      'nudge_sends',
      'nudge_threads',
      'nudge_rules',
    ]) {
      this.schema.dropTableIfExists(name)
    }
  }
}
