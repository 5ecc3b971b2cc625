import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Live API connectors: an HTTP call a tenant describes (method, URL and body
 * templates with {{parameters}}, auth, typed parameters, a response mapping
 * to named fields and a reply template), made through the outbound guard
 * when a customer's or an agent's message matches it. The auth secret is
 * stored encrypted with APP_KEY and never rendered back. Answers are cached
 * per connector and inputs for the connector's TTL.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('api_connectors', (table) => {
      table.uuid('id').primary().defaultTo(this.raw('gen_random_uuid()'))
      table.string('name', 120).notNullable()
      table.text('description').notNullable().defaultTo('')
      table.string('method', 6).notNullable().defaultTo('GET').checkIn(['GET', 'POST'])
      table.text('url_template').notNullable()
      // [{name, value}]: plain headers; templates allowed.
      table.jsonb('headers').notNullable().defaultTo('[]')
      table.text('body_template').nullable()
      table
        .string('auth_mode', 8)
        .notNullable()
        .defaultTo('none')
        .checkIn(['none', 'bearer', 'basic', 'header', 'query'])
      // The header or query parameter that carries the key; the basic-auth user name.
      table.string('auth_name', 120).nullable()
      table.string('auth_username', 200).nullable()
      table.text('auth_secret').nullable()
      // [{name, type, pattern, required, example}]
      table.jsonb('parameters').notNullable().defaultTo('[]')
      // [{name, path}]: JSON paths into the response.
      table.jsonb('mapping').notNullable().defaultTo('[]')
      table.text('reply_template').notNullable().defaultTo('')
      // Phrases that say a message is for this connector ("order", "طلب").
      table.jsonb('triggers').notNullable().defaultTo('[]')
      table.integer('timeout_ms').notNullable().defaultTo(5000)
      table.integer('cache_seconds').notNullable().defaultTo(0)
      table.boolean('answers_customers').notNullable().defaultTo(false)
      table.uuid('created_by_user_id').nullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })

    this.schema.createTable('api_connector_cache', (table) => {
      table
        .uuid('connector_id')
        .notNullable()
        .references('id')
        .inTable('api_connectors')
        .onDelete('CASCADE')
      // sha256 of the rendered request, so a changed template never reuses an answer.
      table.string('request_hash', 64).notNullable()
      table.jsonb('fields').notNullable()
      table.integer('status').notNullable()
      table.timestamp('expires_at', { useTz: true }).notNullable()
      table.primary(['connector_id', 'request_hash'])
    })
  }

  async down() {
    this.schema.dropTable('api_connector_cache')
    this.schema.dropTable('api_connectors')
  }
}
