import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Human approval tasks. A task is data, not a page: `components` (jsonb)
 * tells the task inbox what to render, `action` what approval does, and
 * `response` what the person decided (with the AI's original values beside
 * their edits). `status` leaves `pending` once, by a conditional UPDATE,
 * which is what makes resolution exactly once.
 *
 * hitl_task_events is the task's history (comments, reassignments, the
 * decision with its diff); hitl_callbacks holds the one signed POST of a
 * resolution to the task's callback_url, retried like a webhook delivery.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('hitl_tasks', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('kind', 60).notNullable()
      table.string('title', 200).notNullable()
      table.text('description').nullable()
      // pending, approved, rejected, expired, cancelled
      table.string('status', 20).notNullable().defaultTo('pending')
      // low, normal, high, urgent
      table.string('priority', 10).notNullable().defaultTo('normal')
      table.timestamp('due_at', { useTz: true }).nullable()
      table.timestamp('expires_at', { useTz: true }).nullable()
      // cancel, approve, reject
      table.string('on_timeout', 10).notNullable().defaultTo('cancel')
      // A member (central users.id) or a role; both null means unassigned.
      table.uuid('assignee_user_id').nullable()
      table.string('assignee_role', 20).nullable()
      table.uuid('contact_id').nullable()
      table.uuid('conversation_id').nullable()
      table.jsonb('components').notNullable().defaultTo('[]')
      table.jsonb('action').notNullable().defaultTo('{"type":"none"}')
      table.jsonb('allowed').notNullable().defaultTo('{"edit":true,"reject_reasons":[]}')
      table.jsonb('response').nullable()
      table.string('source_type', 20).notNullable().defaultTo('api')
      table.string('source_ref', 200).nullable()
      table.text('callback_url').nullable()
      table.text('callback_secret_encrypted').nullable()
      // sha256 of the single-use resume link's token.
      table.string('resume_token_hash', 64).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('resolved_at', { useTz: true }).nullable()
      table.index(['status', 'created_at'])
      table.index(['assignee_user_id', 'status'])
      table.index(['contact_id'])
      table.index(['kind'])
      table.unique(['resume_token_hash'])
    })
    // The expiry sweep's claim: pending tasks by expiry time.
    this.schema.raw(
      `create index hitl_tasks_pending_expiry on hitl_tasks (expires_at) where status = 'pending' and expires_at is not null`
    )
    this.schema.raw(`create index hitl_tasks_created on hitl_tasks (created_at desc, id desc)`)

    this.schema.createTable('hitl_task_events', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('task_id').notNullable().references('id').inTable('hitl_tasks').onDelete('CASCADE')
      // created, comment, reassigned, approved, rejected, expired, cancelled, send_failed
      table.string('type', 30).notNullable()
      table.uuid('actor_user_id').nullable()
      table.string('actor_label', 200).nullable()
      table.text('body').nullable()
      table.jsonb('data').notNullable().defaultTo('{}')
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['task_id', 'created_at'])
    })

    this.schema.createTable('hitl_callbacks', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('task_id').notNullable().references('id').inTable('hitl_tasks').onDelete('CASCADE')
      // The body exactly as sent, so every attempt signs the same bytes.
      table.text('body').notNullable()
      // pending, sending, retrying, delivered, failed
      table.string('status', 20).notNullable().defaultTo('pending')
      table.integer('attempts').notNullable().defaultTo(0)
      table.integer('last_status_code').nullable()
      table.text('last_error').nullable()
      table.timestamp('attempt_started_at', { useTz: true }).nullable()
      table.timestamp('next_attempt_at', { useTz: true }).nullable()
      table.timestamp('delivered_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      // One resolution, one callback.
      table.unique(['task_id'])
    })
  }

  async down() {
    this.schema.dropTable('hitl_callbacks')
    this.schema.dropTable('hitl_task_events')
    this.schema.dropTable('hitl_tasks')
  }
}
