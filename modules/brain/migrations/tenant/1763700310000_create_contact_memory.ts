import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What the business remembers about a contact across conversations: a
 * rolling summary and extracted facts. Both hang off the contact with ON
 * DELETE CASCADE, so erasing a contact erases its memory in the same
 * statement (nothing to forget to clean up).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('contact_memories', (table) => {
      table.uuid('contact_id').primary().references('id').inTable('contacts').onDelete('CASCADE')
      table.text('summary').nullable()
      // Who wrote the summary last: the chat model, the offline extractor or an agent.
      table
        .string('source', 12)
        .notNullable()
        .defaultTo('extractive')
        .checkIn(['model', 'extractive', 'agent'])
      // messages.seq of the newest message the memory has read: the update
      // job reads only what came after it, so re-running it changes nothing.
      table.bigInteger('last_message_seq').notNullable().defaultTo(0)
      table.uuid('last_message_id').nullable()
      // An agent who edits the summary, kept for the panel (central user, no foreign key).
      table.uuid('updated_by_user_id').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('contact_memory_facts', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table
        .uuid('contact_id')
        .notNullable()
        .references('id')
        .inTable('contacts')
        .onDelete('CASCADE')
      table
        .string('kind', 20)
        .notNullable()
        .checkIn(['name', 'preference', 'policy_number', 'date', 'email', 'phone', 'other'])
      table.string('value', 500).notNullable()
      // The value folded (case, spacing, Arabic letter forms): one row per fact.
      table.string('value_key', 500).notNullable()
      // The message it was read from; kept if the message goes (a fact outlives its chat).
      table.uuid('message_id').nullable().references('id').inTable('messages').onDelete('SET NULL')
      table
        .string('source', 12)
        .notNullable()
        .defaultTo('extractive')
        .checkIn(['model', 'extractive', 'agent'])
      // Set when an agent adds or edits the fact: extraction never overwrites or removes it.
      table.boolean('edited_by_agent').notNullable().defaultTo(false)
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['contact_id', 'kind', 'value_key'])
    })
    // An agent deleting an extracted fact leaves a tombstone so extraction does not bring it back.
    this.schema.createTable('contact_memory_dismissed', (table) => {
      table
        .uuid('contact_id')
        .notNullable()
        .references('id')
        .inTable('contacts')
        .onDelete('CASCADE')
      table.string('kind', 20).notNullable()
      table.string('value_key', 500).notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.primary(['contact_id', 'kind', 'value_key'])
    })
  }

  async down() {
    this.schema.dropTable('contact_memory_dismissed')
    this.schema.dropTable('contact_memory_facts')
    this.schema.dropTable('contact_memories')
  }
}
