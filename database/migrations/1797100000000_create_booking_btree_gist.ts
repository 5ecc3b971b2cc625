import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * btree_gist lets one GiST index mix plain equality (a booking's member)
 * with range overlap (its time range): the session booker's exclusion
 * constraint, which makes double booking a member impossible even when many
 * requests race for one slot. Installed beside pgvector in `extensions`,
 * which tenant schemas already see on their search_path; the embedded
 * database loads PGlite's contrib build of it.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw('create schema if not exists extensions')
    this.schema.raw('create extension if not exists btree_gist with schema extensions')
  }

  async down() {}
}
