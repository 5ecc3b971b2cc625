import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The customer's order of a conversation as one column, so every list
 * (API, inbox, the hand-off to the assistant and webhooks) sorts and pages by the
 * same key with one index. Meta does not deliver webhooks in order, so
 * arrival (seq, created_at) is not the conversation's order: an inbound
 * message sits at WhatsApp's timestamp; an outbound one, which has none, at
 * the time it was written (its send time). Messages stamped in the same
 * second keep their arrival order through seq, the tie-breaker beside it.
 *
 * Generated, not written by the code: every insert (the inbound worker, the
 * send path, history import, web chat) gets it without knowing of it, and
 * adding it fills the existing rows.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(
      `alter table messages add column sort_at timestamptz
        generated always as (coalesce(provider_timestamp, created_at)) stored`
    )
    // The list queries: a conversation's messages by (sort_at, seq), both ways.
    this.schema.raw(
      `create index messages_conversation_order on messages (conversation_id, sort_at, seq)`
    )
    this.schema.raw('drop index if exists messages_conversation_id_provider_timestamp_index')
    // The hand-off reads a conversation's unprocessed inbound messages in the same order.
    this.schema.raw('drop index if exists messages_unprocessed')
    this.schema.raw(
      `create index messages_unprocessed on messages (conversation_id, sort_at, seq)
        where processed_at is null and direction = 'inbound'`
    )
  }

  async down() {
    this.schema.raw('drop index if exists messages_unprocessed')
    this.schema.raw(
      `create index messages_unprocessed on messages (conversation_id, provider_timestamp, seq)
        where processed_at is null and direction = 'inbound'`
    )
    this.schema.raw(
      `create index messages_conversation_id_provider_timestamp_index
        on messages (conversation_id, provider_timestamp)`
    )
    this.schema.raw('drop index if exists messages_conversation_order')
    this.schema.raw('alter table messages drop column sort_at')
  }
}
