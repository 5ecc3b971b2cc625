import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  async up() {
    this.schema.createTable('users', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('email', 254).notNullable()
      table.string('name', 120).notNullable().defaultTo('')
      table.string('password', 255).notNullable()
      table.string('locale', 5).notNullable().defaultTo('en').checkIn(['en', 'ar'])
      table.string('timezone', 64).notNullable().defaultTo('UTC')
      table.boolean('is_super_admin').notNullable().defaultTo(false)
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
    // E-mail is unique whatever its case.
    this.schema.raw('create unique index users_email_lower_unique on users (lower(email))')

    this.schema.createTable('memberships', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE')
      table.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table.string('role', 20).notNullable().checkIn(['owner', 'admin', 'agent', 'viewer'])
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.unique(['tenant_id', 'user_id'])
      table.index(['user_id'])
    })
  }

  async down() {
    this.schema.dropTable('memberships')
    this.schema.dropTable('users')
  }
}
