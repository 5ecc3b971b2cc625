import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Contacts that can be targeted: the workspace's custom field definitions,
 * and on each contact its time zone, language and consent per purpose.
 * `opt_in` (the older column) stays the consent to service messages; the
 * marketing consent is new, each with where it came from and when.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('contact_fields', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('key', 40).notNullable().unique()
      table.string('label', 100).notNullable()
      table
        .string('type', 10)
        .notNullable()
        .checkIn(['text', 'number', 'date', 'boolean', 'choice'])
      table.boolean('required').notNullable().defaultTo(false)
      table.jsonb('choices').notNullable().defaultTo('[]')
      table.integer('position').notNullable().defaultTo(0)
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
    this.schema.alterTable('contacts', (table) => {
      table.string('time_zone', 64).nullable()
      table.string('language', 16).nullable()
      table
        .string('marketing_consent', 12)
        .notNullable()
        .defaultTo('unknown')
        .checkIn(['unknown', 'opted_in', 'opted_out'])
      table.string('marketing_consent_source', 20).nullable()
      table.timestamp('marketing_consent_at', { useTz: true }).nullable()
      table.string('service_consent_source', 20).nullable()
      table.timestamp('service_consent_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.alterTable('contacts', (table) => {
      table.dropColumns(
        'time_zone',
        'language',
        'marketing_consent',
        'marketing_consent_source',
        'marketing_consent_at',
        'service_consent_source',
        'service_consent_at'
      )
    })
    this.schema.dropTable('contact_fields')
  }
}
