import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A nudge rule's quiet hours (minutes after midnight, contact-local): a
 * nudge falling due inside them waits for them to end, as a campaign's and
 * a sequence's sends do. Rules saved before this stay without (null); the
 * form offers 21:00–09:00 for a new rule.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('nudge_rules', (table) => {
      table.integer('quiet_start').nullable()
      table.integer('quiet_end').nullable()
    })
    this.schema.raw(
      `alter table nudge_rules add constraint nudge_rules_quiet check (
         (quiet_start is null) = (quiet_end is null)
         and (quiet_start is null or (quiet_start between 0 and 1439 and quiet_end between 0 and 1439))
       )`
    )
  }

  async down() {
    this.schema.alterTable('nudge_rules', (table) => {
      table.dropColumn('quiet_start')
      table.dropColumn('quiet_end')
    })
  }
}
