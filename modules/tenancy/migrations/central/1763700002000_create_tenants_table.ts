import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  async up() {
    this.schema.createTable('tenants', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('slug', 40).notNullable().unique()
      table.string('name', 120).notNullable()
      table.string('schema_name', 63).notNullable().unique()
      table
        .string('status', 20)
        .notNullable()
        .defaultTo('provisioning')
        .checkIn(['provisioning', 'active', 'suspended', 'deleted'])
      table.uuid('plan_id').nullable().references('id').inTable('plans').onDelete('SET NULL')
      // The last tenant migration applied to this tenant's schema.
      table.string('schema_version', 255).nullable()
      table.timestamp('provisioned_at', { useTz: true }).nullable()
      table.timestamp('suspended_at', { useTz: true }).nullable()
      table.timestamp('deleted_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['status'])
    })

    this.schema.createTable('audit_logs', (table) => {
      table.bigIncrements('id')
      table.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(this.now())
      // Who: a user id when a person acted, and always a readable label.
      table.uuid('actor_user_id').nullable()
      table.string('actor_label', 255).notNullable()
      // What.
      table.string('action', 80).notNullable()
      table.uuid('tenant_id').nullable().references('id').inTable('tenants').onDelete('SET NULL')
      // Kept after a hard delete, when tenant_id becomes null.
      table.string('tenant_slug', 40).nullable()
      table.string('subject_type', 60).nullable()
      table.string('subject_id', 80).nullable()
      // From where: an IP for HTTP requests, "cli" with the host for commands.
      table.string('source', 255).nullable()
      table.string('user_agent', 500).nullable()
      table.jsonb('metadata').notNullable().defaultTo('{}')
      table.index(['tenant_id', 'occurred_at'])
      table.index(['action', 'occurred_at'])
      table.index(['actor_user_id', 'occurred_at'])
    })
  }

  async down() {
    this.schema.dropTable('audit_logs')
    this.schema.dropTable('tenants')
  }
}
