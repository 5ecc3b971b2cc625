import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The workspace's campaign rules (services/campaign_settings.ts): one row
 * (id 1). No row means the defaults: marketing only to opted-in contacts,
 * approval per campaign.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('campaign_settings', (table) => {
      table.integer('id').primary()
      table.boolean('allow_unknown_consent').notNullable().defaultTo(false)
      table.boolean('require_approval').notNullable().defaultTo(false)
      table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(this.now())
    })
    this.schema.raw(
      'alter table campaign_settings add constraint campaign_settings_one check (id = 1)'
    )
  }

  async down() {
    this.schema.dropTable('campaign_settings')
  }
}
