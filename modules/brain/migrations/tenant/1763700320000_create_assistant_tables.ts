import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The assistant on channels. Its settings are per channel (channels are
 * central rows, so channel_id has no foreign key, as elsewhere in the tenant
 * schema). Whether the assistant or a person has a conversation is the
 * brain's own row beside it (the channels module's table stays its own): the
 * assistant until it hands off or a person steps in, then a person until an
 * agent hands it back; no row yet means the assistant. Each assistant reply
 * keeps its evidence (citations, confidence) for agents, keyed by the inbound
 * message it answered so a redelivered message is never answered twice.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('assistant_settings', (table) => {
      table.uuid('channel_id').primary()
      table.boolean('enabled').notNullable().defaultTo(false)
      table.string('persona_name', 80).notNullable().defaultTo('')
      table.text('instructions').notNullable().defaultTo('')
      table.string('language', 4).notNullable().defaultTo('auto').checkIn(['auto', 'en', 'ar'])
      table
        .string('active_mode', 16)
        .notNullable()
        .defaultTo('always')
        .checkIn(['always', 'outside_hours'])
      table.string('timezone', 64).notNullable().defaultTo('UTC')
      // {"1": ["09:00", "17:00"], ...} by ISO weekday (1 Monday .. 7 Sunday); a missing day is closed.
      table.jsonb('business_hours').notNullable().defaultTo('{}')
      table.decimal('confidence_threshold', 3, 2).notNullable().defaultTo(0.35)
      table.specificType('handoff_words', 'text[]').notNullable().defaultTo('{}')
      table.integer('max_failures').notNullable().defaultTo(2)
      table.uuid('updated_by_user_id').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('assistant_conversations', (table) => {
      table
        .uuid('conversation_id')
        .primary()
        .references('id')
        .inTable('conversations')
        .onDelete('CASCADE')
      // 'assistant' answers; 'human' means a person owns it (handoff or an agent's reply).
      table.string('state', 10).notNullable().defaultTo('assistant').checkIn(['assistant', 'human'])
      // Consecutive questions the assistant could not answer; reset by an answer.
      table.integer('failures').notNullable().defaultTo(0)
      table.string('handoff_reason', 32).nullable()
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('assistant_replies', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      // The customer's message answered: one reply (or handoff) per message, ever.
      table
        .uuid('inbound_message_id')
        .notNullable()
        .unique()
        .references('id')
        .inTable('messages')
        .onDelete('CASCADE')
      table
        .uuid('message_id')
        .nullable()
        .unique()
        .references('id')
        .inTable('messages')
        .onDelete('CASCADE')
      table
        .uuid('conversation_id')
        .notNullable()
        .references('id')
        .inTable('conversations')
        .onDelete('CASCADE')
      // answered, handoff, or skipped (a person owned it when the job ran).
      table.string('outcome', 10).notNullable().checkIn(['answered', 'handoff', 'skipped'])
      table.string('reason', 32).nullable()
      table.string('mode', 12).notNullable()
      table.decimal('confidence', 3, 2).notNullable().defaultTo(0)
      table.jsonb('citations').notNullable().defaultTo('[]')
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['conversation_id', 'created_at'])
    })
  }

  async down() {
    this.schema.dropTable('assistant_replies')
    this.schema.dropTable('assistant_conversations')
    this.schema.dropTable('assistant_settings')
  }
}
