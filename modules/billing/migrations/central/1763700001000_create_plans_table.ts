import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'plans'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('slug', 60).notNullable().unique()
      table.string('name', 120).notNullable()
      table.string('price_label', 60).nullable()
      // Limits: null means unlimited.
      table.integer('max_seats').nullable()
      table.integer('max_channels').nullable()
      table.integer('max_conversations_per_month').nullable()
      table.integer('max_ai_answers_per_month').nullable()
      table.integer('max_knowledge_mb').nullable()
      table.boolean('is_default').notNullable().defaultTo(false)
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
    // At most one default plan, the one new tenants get.
    this.schema.raw(
      'create unique index plans_single_default on plans (is_default) where is_default'
    )
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
