import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('users', (table) => {
      table
        .uuid('last_tenant_id')
        .nullable()
        .references('id')
        .inTable('tenants')
        .onDelete('SET NULL')
      table.timestamp('last_sign_in_at', { useTz: true }).nullable()
    })

    // @adonisjs/auth's remember-me tokens (its column names).
    this.schema.createTable('remember_me_tokens', (table) => {
      table.increments('id')
      table.uuid('tokenable_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table.string('hash').notNullable().unique()
      table.timestamp('created_at', { useTz: true }).notNullable()
      table.timestamp('updated_at', { useTz: true }).notNullable()
      table.timestamp('expires_at', { useTz: true }).notNullable()
    })

    // Only a SHA-256 of each token is stored; the token itself is in the e-mailed link.
    this.schema.createTable('password_reset_tokens', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
      table.string('token_hash', 64).notNullable().unique()
      table.timestamp('expires_at', { useTz: true }).notNullable()
      table.timestamp('used_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['user_id'])
    })

    this.schema.createTable('invitations', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.uuid('tenant_id').notNullable().references('id').inTable('tenants').onDelete('CASCADE')
      table.string('email', 254).notNullable()
      table.string('role', 20).notNullable().checkIn(['owner', 'admin', 'agent', 'viewer'])
      table.string('token_hash', 64).notNullable().unique()
      table.uuid('invited_by_id').nullable().references('id').inTable('users').onDelete('SET NULL')
      table.timestamp('expires_at', { useTz: true }).notNullable()
      table.timestamp('accepted_at', { useTz: true }).nullable()
      table.timestamp('revoked_at', { useTz: true }).nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.index(['tenant_id'])
    })
  }

  async down() {
    this.schema.dropTable('invitations')
    this.schema.dropTable('password_reset_tokens')
    this.schema.dropTable('remember_me_tokens')
    this.schema.alterTable('users', (table) => {
      table.dropColumn('last_tenant_id')
      table.dropColumn('last_sign_in_at')
    })
  }
}
