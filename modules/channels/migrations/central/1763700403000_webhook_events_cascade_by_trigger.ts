import { BaseSchema } from '@adonisjs/lucid/schema'

/*
| webhook_events keeps its cascades, by triggers on the referenced rows
| instead of foreign keys: a destroyed tenant's events go with it, and a
| removed channel's unprocessed events lose their channel (processed ones
| are history and keep the id it had; the unprocessed ones are found
| through the small partial index webhook_events_unprocessed).
|
| Why: a foreign key makes every insert lock the referenced channel and
| tenant rows (FOR KEY SHARE). Intake writes several batches at once, all
| naming the same channel and tenant, so each of those rows was share-locked
| by several transactions at a time, which PostgreSQL records as a new
| multixact per insert. Measured with bench:ingest, dropping the two keys
| halved the batch insert (p50 15 -> 7 ms) and the webhook's time in the
| server (p50 30 -> 15 ms, p99 176 -> 72 ms).
|
| What a foreign key also gave, a row naming a channel that exists, is kept
| where it matters: the insert stores a row only while its channel is there
| (webhook_store), and processing reads a channel that was removed in the
| moment between as removed (inbound_processing).
*/
export default class extends BaseSchema {
  async up() {
    this.schema.raw(
      'alter table webhook_events drop constraint if exists webhook_events_channel_id_foreign'
    )
    this.schema.raw(
      'alter table webhook_events drop constraint if exists webhook_events_tenant_id_foreign'
    )
    this.schema.raw(`
      create function webhook_events_forget_channel() returns trigger language plpgsql as $$
      begin
        update webhook_events set channel_id = null
          where channel_id = old.id and processed_at is null;
        return old;
      end $$`)
    this.schema.raw(`
      create trigger webhook_events_forget_channel after delete on channels
        for each row execute function webhook_events_forget_channel()`)
    this.schema.raw(`
      create function webhook_events_forget_tenant() returns trigger language plpgsql as $$
      begin
        delete from webhook_events where tenant_id = old.id;
        return old;
      end $$`)
    this.schema.raw(`
      create trigger webhook_events_forget_tenant after delete on tenants
        for each row execute function webhook_events_forget_tenant()`)
  }

  async down() {
    this.schema.raw('drop trigger if exists webhook_events_forget_tenant on tenants')
    this.schema.raw('drop function if exists webhook_events_forget_tenant()')
    this.schema.raw('drop trigger if exists webhook_events_forget_channel on channels')
    this.schema.raw('drop function if exists webhook_events_forget_channel()')
    this.schema.raw(
      `update webhook_events set channel_id = null
        where channel_id is not null and not exists (select 1 from channels c where c.id = channel_id)`
    )
    this.schema.raw(
      `delete from webhook_events
        where tenant_id is not null and not exists (select 1 from tenants t where t.id = tenant_id)`
    )
    this.schema.raw(
      `alter table webhook_events add constraint webhook_events_channel_id_foreign
        foreign key (channel_id) references channels(id) on delete set null`
    )
    this.schema.raw(
      `alter table webhook_events add constraint webhook_events_tenant_id_foreign
        foreign key (tenant_id) references tenants(id) on delete cascade`
    )
  }
}
