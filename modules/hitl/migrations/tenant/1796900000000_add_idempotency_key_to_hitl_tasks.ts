import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A caller that may open the same task twice (a scheduled step run again
 * after its worker died) names it with a key: a second create with that key
 * returns the first task instead of opening another.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('hitl_tasks', (table) => {
      table.string('idempotency_key', 200).nullable()
    })
    this.schema.raw(
      `create unique index hitl_tasks_idempotency_key_unique on hitl_tasks (idempotency_key)
        where idempotency_key is not null`
    )
  }

  async down() {
    this.schema.raw('drop index if exists hitl_tasks_idempotency_key_unique')
    this.schema.alterTable('hitl_tasks', (table) => {
      table.dropColumn('idempotency_key')
    })
  }
}
