import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A member's own WhatsApp number in a workspace (digits, as WhatsApp's wa_id):
 * a message from it to the business number is the member's, not a customer's
 * (an internal search of the workspace's data). One member per number in a
 * workspace; per workspace, because one person may use a number in one
 * workspace and not another.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('memberships', (table) => {
      table.string('whatsapp_phone', 20).nullable()
    })
    this.schema.raw(
      `create unique index memberships_tenant_whatsapp_phone_unique
         on memberships (tenant_id, whatsapp_phone) where whatsapp_phone is not null`
    )
  }

  async down() {
    this.schema.raw('drop index if exists memberships_tenant_whatsapp_phone_unique')
    this.schema.alterTable('memberships', (table) => {
      table.dropColumn('whatsapp_phone')
    })
  }
}
