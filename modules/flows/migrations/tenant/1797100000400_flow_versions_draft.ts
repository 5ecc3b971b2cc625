import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * "Try it" runs a flow's draft in the sandbox before it is published: the
 * draft is frozen as a version row marked `draft` (version 0, never the
 * published one), so a trial session keeps the graph it started on like
 * any other session. Published versions stay unique per flow.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('flow_versions', (table) => {
      table.boolean('draft').notNullable().defaultTo(false)
      table.dropUnique(['flow_id', 'version'])
    })
    this.schema.raw(
      `create unique index flow_versions_published_unique on flow_versions (flow_id, version) where not draft`
    )
  }

  async down() {
    this.schema.raw(`delete from flow_versions where draft`)
    this.schema.raw(`drop index if exists flow_versions_published_unique`)
    this.schema.alterTable('flow_versions', (table) => {
      table.dropColumn('draft')
      table.unique(['flow_id', 'version'])
    })
  }
}
