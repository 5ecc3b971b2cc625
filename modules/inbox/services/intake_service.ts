import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import type { ContactCreatedEvent, ConversationCreatedEvent } from '../events.js'
import { guessLocale } from './contact_locale.js'

/*
| What a channel's intake asks of the inbox while it stores a batch of
| inbound messages, inside the channel's own transaction: the senders'
| contacts, their conversations in progress, and the conversations'
| counters. Each is one statement for the whole batch (the ingest
| benchmark's hot path). Events are returned, not emitted: the caller emits
| them after its commit.
*/

/** Lucid types bindings without null; knex sends a null binding as SQL NULL. */
type SqlValue = string

export interface InboundSender {
  waId: string
  /** The number in E.164, or null when the wa_id cannot be read as one. */
  phone: string | null
  /** The name the sender goes by on WhatsApp, null when unknown. */
  profileName: string | null
}

/**
 * The contact of each sender, by wa_id, in one statement: found by wa_id,
 * else linked by phone if new to WhatsApp, else created (source whatsapp,
 * with the zone and language guessed from the number's country). A name
 * that changed is updated. Inserts take no conflict target: a concurrent
 * insert of the same wa_id or phone makes it a no-op, and the next round
 * reads the winner.
 */
export async function contactsOfSenders(
  trx: TransactionClientContract,
  tenant: TenantContext,
  senders: InboundSender[]
): Promise<{ contacts: Map<string, string>; created: ContactCreatedEvent[] }> {
  const contacts = new Map<string, string>()
  const created: ContactCreatedEvent[] = []
  const byWaId = new Map(senders.map((sender) => [sender.waId, sender]))
  for (let attempt = 0; attempt < 2; attempt++) {
    const missing = [...byWaId.values()]
      .filter((sender) => !contacts.has(sender.waId))
      .sort((a, b) => a.waId.localeCompare(b.waId))
    if (!missing.length) return { contacts, created }
    const locales = missing.map((sender) => guessLocale(sender.phone ?? `+${sender.waId}`))
    const found = await trx.rawQuery(
      `with input as (
          select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
            as i(wa_id, phone, profile_name, time_zone, language)
        ),
        matched as (
          select distinct on (m.wa_id) m.* from (
            select i.wa_id, c.id, 0 as rank from input i join contacts c on c.wa_id = i.wa_id
            union all
            select i.wa_id, c.id, 1 from input i join contacts c on c.phone = i.phone
              where i.phone is not null
          ) m order by m.wa_id, m.rank
        ),
        updated as (
          update contacts c set wa_id = coalesce(c.wa_id, i.wa_id),
              profile_name = coalesce(i.profile_name, c.profile_name), updated_at = now()
            from matched m join input i on i.wa_id = m.wa_id
            where c.id = m.id and (c.wa_id is null
              or (i.profile_name is not null and i.profile_name is distinct from c.profile_name))
        ),
        inserted as (
          insert into contacts (phone, wa_id, profile_name, source, time_zone, language)
          select i.phone, i.wa_id, i.profile_name, 'whatsapp', i.time_zone, i.language from input i
            where not exists (select 1 from matched m where m.wa_id = i.wa_id)
            order by i.wa_id
          on conflict do nothing
          returning id, wa_id
        )
        select wa_id, id, false as created from matched
        union all
        select wa_id, id, true from inserted`,
      [
        missing.map((sender) => sender.waId),
        missing.map((sender) => sender.phone),
        missing.map((sender) => sender.profileName),
        locales.map((locale) => locale.timeZone),
        locales.map((locale) => locale.language),
      ] as unknown as SqlValue[]
    )
    for (const row of found.rows as Array<{ wa_id: string; id: string; created: boolean }>) {
      contacts.set(row.wa_id, row.id)
      if (row.created) {
        created.push({
          tenant: tenant.slug,
          tenantId: tenant.id,
          contactId: row.id,
          source: 'whatsapp',
        })
      }
    }
  }
  const lost = [...byWaId.keys()].filter((waId) => !contacts.has(waId))
  if (lost.length) throw new Error(`could not find or create the contacts for wa_id ${lost}`)
  return { contacts, created }
}

/**
 * The conversation in progress for each (contact, channel), or a new open
 * one, in one statement for all of them; returns their ids in the given
 * order. Resolved conversations are history: a message after resolution
 * starts a new conversation, which the partial unique index
 * conversations_one_active allows. Two workers opening one at once collide
 * on that index; the loser reads the winner's row in the next round.
 */
export async function activeConversationsFor(
  trx: TransactionClientContract,
  tenant: TenantContext,
  wanted: Array<{ contactId: string; channelId: string }>
): Promise<{ ids: string[]; created: ConversationCreatedEvent[] }> {
  const key = (contactId: string, channelId: string) => `${contactId}|${channelId}`
  const byPair = new Map<string, string>()
  const created: ConversationCreatedEvent[] = []
  for (let attempt = 0; attempt < 2; attempt++) {
    const missing = [
      ...new Map(
        wanted
          .filter((pair) => !byPair.has(key(pair.contactId, pair.channelId)))
          .map((pair) => [key(pair.contactId, pair.channelId), pair])
      ).values(),
    ].sort((a, b) => key(a.contactId, a.channelId).localeCompare(key(b.contactId, b.channelId)))
    if (!missing.length) break
    const found = await trx.rawQuery(
      `with input as (
          select * from unnest(?::uuid[], ?::uuid[]) as i(contact_id, channel_id)
        ),
        active as (
          select c.id, c.contact_id, c.channel_id from conversations c
            join input i on i.contact_id = c.contact_id and i.channel_id = c.channel_id
            where c.status <> 'resolved'
        ),
        opened as (
          insert into conversations (contact_id, channel_id, status)
          select i.contact_id, i.channel_id, 'open' from input i
            where not exists (select 1 from active a
              where a.contact_id = i.contact_id and a.channel_id = i.channel_id)
            order by i.contact_id, i.channel_id
          on conflict do nothing
          returning id, contact_id, channel_id
        )
        select id, contact_id, channel_id, false as created from active
        union all
        select id, contact_id, channel_id, true from opened`,
      [missing.map((pair) => pair.contactId), missing.map((pair) => pair.channelId)]
    )
    for (const row of found.rows as Array<{
      id: string
      contact_id: string
      channel_id: string
      created: boolean
    }>) {
      byPair.set(key(row.contact_id, row.channel_id), row.id)
      if (row.created) {
        created.push({
          tenant: tenant.slug,
          tenantId: tenant.id,
          conversationId: row.id,
          contactId: row.contact_id,
          channelId: row.channel_id,
        })
      }
    }
  }
  const ids = wanted.map((pair) => {
    const id = byPair.get(key(pair.contactId, pair.channelId))
    if (!id) throw new Error(`could not find or open a conversation for contact ${pair.contactId}`)
    return id
  })
  return { ids, created }
}

/**
 * Locks conversations in id order before their counters change: a
 * multi-row update locks rows in whatever order its plan meets them, and
 * two jobs sharing conversations could then deadlock.
 */
export async function lockConversations(trx: TransactionClientContract, conversationIds: string[]) {
  if (!conversationIds.length) return
  await trx.rawQuery(
    `select id from conversations where id = any(?::uuid[]) order by id for update`,
    [[...new Set(conversationIds)]]
  )
}

/**
 * Counts newly stored customer messages on their conversations, one
 * statement for all: unread grows by the count, the last times move forward
 * only (greatest() keeps the later time when webhooks arrive out of order),
 * and a customer writing to a snoozed conversation wakes it.
 */
export async function countInboundMessages(
  trx: TransactionClientContract,
  stored: Array<{ conversationId: string; at: Date }>
) {
  const perConversation = new Map<string, { at: Date; count: number }>()
  for (const { conversationId, at } of stored) {
    const seen = perConversation.get(conversationId)
    if (!seen) perConversation.set(conversationId, { at, count: 1 })
    else
      perConversation.set(conversationId, {
        at: at > seen.at ? at : seen.at,
        count: seen.count + 1,
      })
  }
  if (!perConversation.size) return
  const ids = [...perConversation.keys()]
  await trx.rawQuery(
    `update conversations c set
        last_message_at = greatest(c.last_message_at, n.at),
        last_customer_message_at = greatest(c.last_customer_message_at, n.at),
        unread_count = c.unread_count + n.count,
        status = case when c.status = 'snoozed' then 'open' else c.status end,
        snoozed_until = case when c.status = 'snoozed' then null else c.snoozed_until end,
        updated_at = now()
      from unnest(?::uuid[], ?::timestamptz[], ?::int[]) as n(conversation_id, at, count)
      where c.id = n.conversation_id`,
    [
      ids,
      ids.map((id) => perConversation.get(id)!.at),
      ids.map((id) => perConversation.get(id)!.count),
    ] as unknown as SqlValue[]
  )
}

/** Whether a channel has any conversation yet (the sandbox's "tried" step of getting started). */
export async function channelHasConversations(tenant: TenantContext, channelId: string) {
  const row = await tenant.transaction((trx) =>
    trx.from('conversations').where('channel_id', channelId).select('id').first()
  )
  return !!row
}

/** Whether this number (as phone or wa_id) has talked on any channel but `channelId`. */
export async function numberTalksElsewhere(
  tenant: TenantContext,
  number: { phone: string; waId: string },
  channelId: string
) {
  return tenant.transaction(async (trx) => {
    const found = await trx.rawQuery(
      `select 1 from contacts c join conversations v on v.contact_id = c.id
        where (c.phone = ? or c.wa_id = ?) and v.channel_id <> ? limit 1`,
      [number.phone, number.waId, channelId]
    )
    return found.rows.length > 0
  })
}

/** The WhatsApp contacts who talked on a channel, most recent first. */
export async function recentContactsOn(tenant: TenantContext, channelId: string, limit: number) {
  return tenant.transaction(async (trx) => {
    const found = await trx.rawQuery(
      `select c.wa_id, c.phone, coalesce(c.profile_name, c.name) as name, max(v.last_message_at) as at
        from contacts c join conversations v on v.contact_id = c.id
        where v.channel_id = ? and c.wa_id is not null
        group by c.id order by at desc nulls last limit ?`,
      [channelId, limit]
    )
    return found.rows as Array<{ wa_id: string; phone: string | null; name: string | null }>
  })
}

/**
 * A web chat visitor's contact, inside the channel's transaction. The name
 * the visitor gave is what the channel reports, like a WhatsApp profile
 * name; the team's own name for them stays theirs to set.
 */
export async function createVisitorContact(
  trx: TransactionClientContract,
  visitor: { name: string | null; email: string | null; channelId: string }
) {
  const contact = await trx.rawQuery(
    `insert into contacts (profile_name, email, source, attributes)
      values (?, ?, 'webchat', ?::jsonb) returning id`,
    [
      visitor.name,
      visitor.email,
      JSON.stringify({ webchat: { channelId: visitor.channelId } }),
    ] as SqlValue[]
  )
  return contact.rows[0].id as string
}

/**
 * The conversation a contact's channel thread follows: the one in progress,
 * else the latest (the team may still answer just after resolving it).
 */
export async function followedConversation(
  trx: TransactionClientContract,
  contactId: string,
  channelId: string
): Promise<string | null> {
  const result = await trx.rawQuery(
    `select id from conversations where contact_id = ? and channel_id = ?
      order by (status <> 'resolved') desc, created_at desc limit 1`,
    [contactId, channelId]
  )
  return (result.rows[0]?.id as string | undefined) ?? null
}

/** WhatsApp refused a free-form message: the 24-hour window is closed, as the composer must know. */
export async function markWindowClosed(trx: TransactionClientContract, conversationId: string) {
  await trx
    .from('conversations')
    .where('id', conversationId)
    .update({ window_closed_at: new Date() })
}
