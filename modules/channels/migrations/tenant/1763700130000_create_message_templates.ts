import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The WhatsApp Business Account's message templates, as last synced, per
 * channel. A template is addressed by name and language.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('message_templates', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('channel_id').notNullable()
      table.string('provider_id', 64).nullable()
      table.string('name', 512).notNullable()
      table.string('language', 16).notNullable()
      table.string('category', 20).notNullable()
      // APPROVED, PENDING, REJECTED, PAUSED, DISABLED, … as WhatsApp reports it.
      table.string('status', 20).notNullable()
      table.string('previous_status', 20).nullable()
      table.timestamp('status_changed_at', { useTz: true }).nullable()
      table.text('rejected_reason').nullable()
      table.jsonb('components').notNullable().defaultTo('[]')
      // How many {{n}} variables the body takes: what a send must fill in.
      table.integer('body_variables').notNullable().defaultTo(0)
      table.timestamp('synced_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['channel_id', 'name', 'language'])
    })
  }

  async down() {
    this.schema.dropTable('message_templates')
  }
}
