import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * What the node a session stands at keeps between its runs: the rows or
 * slots a lookup or booking offered (and the pick to book), the task a
 * task node waits for. Replaced on every move (see runtime.ts).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('flow_sessions', (table) => {
      table.jsonb('state').notNullable().defaultTo('{}')
    })
  }

  async down() {
    this.schema.alterTable('flow_sessions', (table) => {
      table.dropColumn('state')
    })
  }
}
