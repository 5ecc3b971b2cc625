import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Due rows found by the start of their key (cancelDue's dedupePrefix: a
 * flow session's steps, a nudge rule's rows) were read by a sequential scan
 * of the whole table: under a database collation other than "C" a plain
 * btree does not serve LIKE 'prefix%'. A text_pattern_ops index does, in
 * any collation (bench:flows, 10,000 sessions: 10,030 scans reading 354
 * million rows before it).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(
      `create index due_work_dedupe_key_prefix on due_work (dedupe_key text_pattern_ops)`
    )
  }

  async down() {
    this.schema.raw(`drop index if exists due_work_dedupe_key_prefix`)
  }
}
