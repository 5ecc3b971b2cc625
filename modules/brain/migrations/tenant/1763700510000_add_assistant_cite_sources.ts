import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Whether the customer sees the numbered sources under an answer. Agents
 * always see the citations (with the quotes and the confidence); customers
 * only where the channel asks for them, so off by default.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('assistant_settings', (table) => {
      table.boolean('cite_sources').notNullable().defaultTo(false)
    })
  }

  async down() {
    this.schema.alterTable('assistant_settings', (table) => {
      table.dropColumn('cite_sources')
    })
  }
}
