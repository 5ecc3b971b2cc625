import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Guided flows: the flow (its draft graph and settings), its published
 * versions (immutable; a session keeps the version it started on), the
 * sessions running them (one active per conversation) and each session's
 * step log, read for starts, completions and drop-off per node. Timed
 * work (steps, expiry) is in pulse's due_work.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('flows', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      // draft | published | archived
      table.string('status', 16).notNullable().defaultTo('draft')
      // The draft graph ({nodes, edges}; see services/graph.ts).
      table.jsonb('graph').notNullable().defaultTo('{"nodes":[],"edges":[]}')
      // {keywords: [], first_message: bool, payloads: [], referrals: [], campaign_ids: [], webchat_start: bool}
      table.jsonb('triggers').notNullable().defaultTo('{}')
      table.integer('expiry_hours').notNullable().defaultTo(24)
      table.text('expiry_message').nullable()
      // handoff | assistant: where a customer goes when a step cannot understand them
      table.string('fallback', 16).notNullable().defaultTo('handoff')
      table.uuid('published_version_id').nullable()
      table.uuid('created_by').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['status'])
    })

    this.schema.createTable('flow_versions', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('flow_id').notNullable().references('id').inTable('flows').onDelete('CASCADE')
      table.integer('version').notNullable()
      table.jsonb('graph').notNullable()
      table.timestamp('published_at', { useTz: true }).notNullable()
      table.uuid('published_by').nullable()
      table.unique(['flow_id', 'version'])
    })

    this.schema.createTable('flow_sessions', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('flow_id').notNullable().references('id').inTable('flows').onDelete('CASCADE')
      table
        .uuid('version_id')
        .notNullable()
        .references('id')
        .inTable('flow_versions')
        .onDelete('CASCADE')
      table.uuid('conversation_id').notNullable()
      table.uuid('contact_id').notNullable()
      // active | completed | expired | stopped | handed_off
      table.string('status', 16).notNullable().defaultTo('active')
      // keyword | first_message | payload | referral | campaign_reply | webchat_start | api
      table.string('source', 24).notNullable()
      table.string('current_node', 64).nullable()
      // Set while the current node waits for the customer's answer.
      table.boolean('awaiting').notNullable().defaultTo(false)
      // Counts the session's moves: the due row of each move is keyed by it.
      table.integer('step_no').notNullable().defaultTo(0)
      table.jsonb('variables').notNullable().defaultTo('{}')
      table.jsonb('answers').notNullable().defaultTo('{}')
      table.integer('retries').notNullable().defaultTo(0)
      table.string('end_reason', 40).nullable()
      table.timestamp('expires_at', { useTz: true }).notNullable()
      table.timestamp('started_at', { useTz: true }).notNullable()
      table.timestamp('ended_at', { useTz: true }).nullable()
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['flow_id', 'status'])
      table.index(['contact_id'])
    })
    this.schema.raw(
      `create unique index flow_sessions_one_active on flow_sessions (conversation_id) where status = 'active'`
    )

    this.schema.createTable('flow_steps', (table) => {
      table.bigIncrements('id')
      table
        .uuid('session_id')
        .notNullable()
        .references('id')
        .inTable('flow_sessions')
        .onDelete('CASCADE')
      table.uuid('flow_id').notNullable()
      table.string('node_id', 64).nullable()
      // started | entered | sent | answered | retried | fallback | completed | expired | stopped | handed_off | paused
      table.string('event', 16).notNullable()
      // The customer message the step read (unique: a redelivered message is read once).
      table.uuid('inbound_message_id').nullable()
      table.jsonb('detail').nullable()
      table.timestamp('at', { useTz: true }).notNullable()
      table.index(['flow_id', 'event'])
      table.index(['session_id'])
    })
    this.schema.raw(
      `create unique index flow_steps_inbound_once on flow_steps (inbound_message_id) where inbound_message_id is not null`
    )
  }

  async down() {
    this.schema.dropTableIfExists('flow_steps')
    this.schema.dropTableIfExists('flow_sessions')
    this.schema.dropTableIfExists('flow_versions')
    this.schema.dropTableIfExists('flows')
  }
}
