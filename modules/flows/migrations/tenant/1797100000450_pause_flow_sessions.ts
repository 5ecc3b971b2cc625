import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A session a person took over is paused, not ended: it keeps its place
 * (`paused_at` says since when) and resumes when the conversation is handed
 * back. A paused session still owns its conversation, so the one-session
 * index covers it too. `waiting_until` marks a session in a wait node: the
 * flow does not hold the conversation until then (the assistant and the
 * team answer the customer meanwhile).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('flow_sessions', (table) => {
      table.timestamp('paused_at', { useTz: true }).nullable()
      table.timestamp('waiting_until', { useTz: true }).nullable()
    })
    this.schema.raw(`drop index if exists flow_sessions_one_active`)
    this.schema.raw(
      `create unique index flow_sessions_one_live on flow_sessions (conversation_id)
        where status in ('active', 'paused')`
    )
  }

  async down() {
    this.schema.raw(`drop index if exists flow_sessions_one_live`)
    this.schema.raw(
      `create unique index flow_sessions_one_active on flow_sessions (conversation_id) where status = 'active'`
    )
    this.schema.alterTable('flow_sessions', (table) => {
      table.dropColumn('paused_at')
      table.dropColumn('waiting_until')
    })
  }
}
