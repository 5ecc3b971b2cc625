import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Runs inside a tenant schema. channel_id and user ids point at central rows
 * (no foreign keys across schemas); they are checked by the services.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('contacts', (table) => {
      // WhatsApp's id for the person (digits of the number); the key inbound messages match on.
      table.string('wa_id', 32).nullable().unique()
    })

    this.schema.createTable('conversations', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .uuid('contact_id')
        .notNullable()
        .references('id')
        .inTable('contacts')
        .onDelete('CASCADE')
      table.uuid('channel_id').notNullable()
      table
        .string('status', 12)
        .notNullable()
        .defaultTo('open')
        .checkIn(['open', 'pending', 'snoozed', 'resolved'])
      table.timestamp('snoozed_until', { useTz: true }).nullable()
      table.uuid('assignee_id').nullable()
      table.specificType('labels', 'text[]').notNullable().defaultTo('{}')
      table
        .string('priority', 8)
        .notNullable()
        .defaultTo('none')
        .checkIn(['none', 'low', 'medium', 'high', 'urgent'])
      table.integer('unread_count').notNullable().defaultTo(0)
      table.timestamp('last_message_at', { useTz: true }).nullable()
      // Drives WhatsApp's 24-hour customer-service window.
      table.timestamp('last_customer_message_at', { useTz: true }).nullable()
      table.timestamp('resolved_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['status', 'last_message_at'])
      table.index(['assignee_id', 'status'])
    })
    // One conversation in progress per contact and channel; resolved ones are history.
    this.schema.raw(
      `create unique index conversations_one_active on conversations (contact_id, channel_id)
        where status <> 'resolved'`
    )
    this.schema.raw('create index conversations_labels_gin on conversations using gin (labels)')

    this.schema.createTable('messages', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .uuid('conversation_id')
        .notNullable()
        .references('id')
        .inTable('conversations')
        .onDelete('CASCADE')
      table
        .uuid('contact_id')
        .notNullable()
        .references('id')
        .inTable('contacts')
        .onDelete('CASCADE')
      table.uuid('channel_id').notNullable()
      table.string('direction', 8).notNullable().checkIn(['inbound', 'outbound'])
      // The provider's id (WhatsApp wamid): duplicate deliveries collapse on it.
      table.string('external_id', 255).nullable().unique()
      // A sender's idempotency key for outbound messages: a retried job finds its row.
      table.string('idempotency_key', 255).nullable().unique()
      table.string('type', 20).notNullable()
      table.text('body').nullable()
      table.jsonb('payload').notNullable().defaultTo('{}')
      table.jsonb('media').nullable()
      table
        .string('status', 10)
        .notNullable()
        .checkIn(['received', 'pending', 'queued', 'sent', 'delivered', 'read', 'failed'])
      table.integer('error_code').nullable()
      table.text('error_title').nullable()
      table
        .string('author_type', 10)
        .notNullable()
        .checkIn(['contact', 'agent', 'assistant', 'system'])
      table.uuid('author_id').nullable()
      table.boolean('is_note').notNullable().defaultTo(false)
      table.string('reply_to_external_id', 255).nullable()
      // When WhatsApp stamped it: the order of a conversation.
      table.timestamp('provider_timestamp', { useTz: true }).nullable()
      table.timestamp('sent_at', { useTz: true }).nullable()
      table.timestamp('delivered_at', { useTz: true }).nullable()
      table.timestamp('read_at', { useTz: true }).nullable()
      table.timestamp('failed_at', { useTz: true }).nullable()
      // When downstream work (events, the assistant) took this inbound message,
      // in conversation order; null until then.
      table.timestamp('processed_at', { useTz: true }).nullable()
      // Arrival order. WhatsApp stamps whole seconds, so messages sent in the
      // same second are ordered by when we stored them (within one webhook:
      // the order WhatsApp listed them), never by the random uuid.
      table.specificType('seq', 'bigint generated always as identity')
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['conversation_id', 'provider_timestamp'])
    })
    this.schema.raw(
      `create index messages_unprocessed on messages (conversation_id, provider_timestamp, seq)
        where processed_at is null and direction = 'inbound'`
    )
    this.schema.raw(
      `create index messages_body_search on messages using gin (to_tsvector('simple', coalesce(body, '')))`
    )

    // A delivery status WhatsApp sent for a wamid we do not have yet (the
    // status webhook can beat the send job's commit). Applied, in rank order,
    // when the outbound message records that wamid: applyPendingStatuses().
    this.schema.createTable('pending_statuses', (table) => {
      table.bigIncrements('id')
      table.string('external_id', 255).notNullable()
      table.string('status', 10).notNullable()
      table.timestamp('provider_timestamp', { useTz: true }).nullable()
      table.jsonb('payload').notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['external_id', 'status'])
    })
  }

  async down() {
    this.schema.dropTable('pending_statuses')
    this.schema.dropTable('messages')
    this.schema.dropTable('conversations')
    this.schema.alterTable('contacts', (table) => table.dropColumn('wa_id'))
  }
}
