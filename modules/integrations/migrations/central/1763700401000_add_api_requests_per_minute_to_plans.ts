import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The REST API's rate limit per key comes from the tenant's plan; null means
 * the platform default (API_REQUESTS_PER_MINUTE, 600 unless set).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('plans', (table) => {
      table.integer('api_requests_per_minute').nullable()
    })
  }

  async down() {
    this.schema.alterTable('plans', (table) => {
      table.dropColumn('api_requests_per_minute')
    })
  }
}
