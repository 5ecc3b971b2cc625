import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { inWorkBatch } from '#app/queue/work_batch'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import { PlanLimitError, limitGuard } from '#modules/billing/index'
import Contact from '../models/contact.js'
import Conversation from '../models/conversation.js'

/**
 * The conversation a business-initiated send goes into: the contact's
 * conversation in progress on that channel, or a new open one. This is how
 * an API client writes first (a template to a new lead): the inbox always
 * answers inside a conversation the customer started, the API need not.
 *
 * With `open: false` only an existing one is returned (null otherwise): a
 * free-form message could not go into a new conversation anyway, since no
 * customer has written in it, so none is opened just to be refused.
 *
 * Two sends opening it at once collide on conversations_one_active; the
 * loser reads the winner's row. A new conversation is announced like one a
 * customer opened (auto-assignment, the live inbox, webhooks, billing's
 * meter). Opening one past the plan's conversations this month is refused
 * (PlanLimitError, a 402 on the API); sending into one in progress never is.
 *
 * Finding one in progress is a single statement naming the tenant's schema.
 * Opening one is too when the plan sets no monthly limit (the unique index,
 * not a lock, settles a race); under a limit the count, the insert and its
 * record share a transaction holding billing's lock, so two sends cannot
 * both take the last place. The plan is read only when a new one is needed.
 */
export async function conversationForSend(
  tenant: TenantContext,
  contactId: string,
  channelId: string,
  options: { open: boolean } = { open: true }
): Promise<{ conversation: Conversation; created: boolean } | null> {
  const found = await findOrOpen(tenant, contactId, channelId, options.open)
  if (found?.created) {
    try {
      await emitter.emit('conversation:created', {
        tenant: tenant.slug,
        tenantId: tenant.id,
        conversationId: found.conversation.id,
        contactId,
        channelId,
      })
    } catch (error) {
      // The conversation exists; a failing listener must not fail the send.
      logger.error({ err: error }, 'conversation:created listener failed')
    }
  }
  return found
}

/** Where a conversation's columns, and `first`'s id, come back in contactForSend's row. */
const CONVERSATION_PREFIX = 'conversation:'
const FIRST_ID = 'first:id'

/**
 * The contact a send addresses (by id or by phone) and its conversation in
 * progress on the channel, read in one statement instead of two: the
 * conversation is the one conversations_one_active allows, or null (then
 * conversationForSend opens one when the send may). `found` is null when no
 * such contact exists in the workspace.
 *
 * `first` is a write the caller needs done before the send and would
 * otherwise pay a round trip for (the API's idempotency claim): an INSERT
 * returning `id`, run as a CTE of this statement; `firstId` is that id.
 */
export async function contactForSend(
  tenant: TenantContext,
  contact: { id: string } | { phone: string },
  channelId: string,
  first: { sql: string; bindings: unknown[] } | null = null
): Promise<{
  found: { contact: Contact; conversation: Conversation | null } | null
  firstId: string | null
}> {
  const byId = 'id' in contact
  const conversationColumns = [...Conversation.$columnsDefinitions.values()].map(
    (column) => `v."${column.columnName}" as "${CONVERSATION_PREFIX}${column.columnName}"`
  )
  const result = await db.rawQuery(
    `${first ? `with first as (${first.sql})` : ''}
     select ${first ? '(select id from first)' : 'null'} as "${FIRST_ID}", found.*
       from (select 1) as one
       left join (
         select c.*, ${conversationColumns.join(', ')}
           from ${tenant.table('contacts')} c
           left join ${tenant.table('conversations')} v
             on v.contact_id = c.id and v.channel_id = ? and v.status <> 'resolved'
          where ${byId ? 'c.id = ?' : 'c.phone = ?'}
       ) as found on true`,
    [...(first?.bindings ?? []), channelId, byId ? contact.id : contact.phone]
  )
  const row: Record<string, unknown> = result.rows[0]
  const contactRow: Record<string, unknown> = {}
  const conversationRow: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(row)) {
    if (name === FIRST_ID) continue
    if (name.startsWith(CONVERSATION_PREFIX)) {
      conversationRow[name.slice(CONVERSATION_PREFIX.length)] = value
    } else {
      contactRow[name] = value
    }
  }
  const firstId = row[FIRST_ID] === null ? null : String(row[FIRST_ID])
  if (!contactRow.id) return { found: null, firstId }
  return {
    found: {
      contact: Contact.$createFromAdapterResult(contactRow)!,
      conversation: conversationRow.id
        ? Conversation.$createFromAdapterResult(conversationRow)!
        : null,
    },
    firstId,
  }
}

/**
 * contactForSend for many contacts of one channel in one statement (a batch
 * of scheduled steps): each found contact with its conversation in
 * progress on the channel, or null; contacts not in the workspace are
 * missing from the map.
 */
export async function contactsForSend(
  tenant: TenantContext,
  contactIds: string[],
  channelId: string
): Promise<Map<string, { contact: Contact; conversation: Conversation | null }>> {
  const out = new Map<string, { contact: Contact; conversation: Conversation | null }>()
  if (!contactIds.length) return out
  const conversationColumns = [...Conversation.$columnsDefinitions.values()].map(
    (column) => `v."${column.columnName}" as "${CONVERSATION_PREFIX}${column.columnName}"`
  )
  const result = await db.rawQuery(
    `select c.*, ${conversationColumns.join(', ')}
       from ${tenant.table('contacts')} c
       left join ${tenant.table('conversations')} v
         on v.contact_id = c.id and v.channel_id = ? and v.status <> 'resolved'
      where c.id = any(?::uuid[])`,
    [channelId, [...new Set(contactIds)]]
  )
  for (const row of result.rows as Array<Record<string, unknown>>) {
    const contactRow: Record<string, unknown> = {}
    const conversationRow: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(row)) {
      if (name.startsWith(CONVERSATION_PREFIX)) {
        conversationRow[name.slice(CONVERSATION_PREFIX.length)] = value
      } else {
        contactRow[name] = value
      }
    }
    out.set(String(contactRow.id), {
      contact: Contact.$createFromAdapterResult(contactRow)!,
      conversation: conversationRow.id
        ? Conversation.$createFromAdapterResult(conversationRow)!
        : null,
    })
  }
  return out
}

async function findOrOpen(
  tenant: TenantContext,
  contactId: string,
  channelId: string,
  open: boolean
): Promise<{ conversation: Conversation; created: boolean } | null> {
  const active = (trx?: TransactionClientContract) =>
    (trx ? Conversation.query({ client: trx }) : tenant.query(Conversation))
      .where('contact_id', contactId)
      .where('channel_id', channelId)
      .whereNot('status', 'resolved')
      .first()
  const current = await active()
  if (current) return { conversation: current, created: false }
  if (!open) return null

  const conversations = await limitGuard(tenant.id, 'conversations')
  const insert = (client: TransactionClientContract | typeof db, table: string) =>
    client.rawQuery(
      `insert into ${table} (contact_id, channel_id, status)
       values (?, ?, 'open') on conflict do nothing returning *`,
      [contactId, channelId]
    )
  const opened = (row: Record<string, unknown>) => ({
    conversation: Conversation.$createFromAdapterResult(row)!,
    created: true,
  })

  if (conversations.allowed === null) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await insert(db, tenant.table('conversations'))
      if (inserted.rows.length) return opened(inserted.rows[0])
      const existing = await active()
      if (existing) return { conversation: existing, created: false }
    }
  } else {
    const found = await tenant.transaction(async (trx) => {
      for (let attempt = 0; attempt < 2; attempt++) {
        const existing = await active(trx)
        if (existing) return { conversation: existing, created: false }
        await conversations.ensure({ client: trx })
        const inserted = await insert(trx, 'conversations')
        if (inserted.rows.length) {
          await conversations.record(inserted.rows[0].id, trx)
          return opened(inserted.rows[0])
        }
      }
      return null
    })
    if (found) return found
  }
  throw new Error(`could not find or open a conversation for contact ${contactId}`)
}

export interface ContactToSend {
  contactId: string
  phone: string | null
  waId: string | null
  optIn: 'unknown' | 'opted_in' | 'opted_out'
  marketingConsent: 'unknown' | 'opted_in' | 'opted_out'
  /** The conversation in progress the send goes into; null when none could be opened. */
  conversationId: string | null
}

/**
 * contactForSend and conversationForSend for many contacts of one channel
 * (a campaign's batch): one statement reads the contacts and their
 * conversations in progress and opens one for each that has none and may
 * be written to (not opted out; for `marketing`, not opted out of
 * marketing). Contacts that no longer exist are absent from the answer.
 * New conversations are announced like conversationForSend's.
 *
 * Under a plan's monthly conversations limit each opening needs billing's
 * lock and count: those go one by one through conversationForSend (and a
 * refused one comes back with no conversation).
 */
export async function conversationsForSendMany(
  tenant: TenantContext,
  contactIds: string[],
  channelId: string,
  options: { marketing: boolean }
): Promise<Map<string, ContactToSend>> {
  const out = new Map<string, ContactToSend>()
  if (!contactIds.length) return out
  const guard = await limitGuard(tenant.id, 'conversations')
  const limited = guard.allowed !== null
  const writable = `c.opt_in <> 'opted_out'${options.marketing ? ` and c.marketing_consent <> 'opted_out'` : ''}`
  const result = await db.rawQuery(
    `with c as (
       select c.id, c.phone, c.wa_id, c.opt_in, c.marketing_consent
         from ${tenant.table('contacts')} c where c.id = any(?::uuid[])),
     existing as (
       select distinct on (v.contact_id) v.contact_id, v.id
         from ${tenant.table('conversations')} v
        where v.contact_id in (select id from c) and v.channel_id = ? and v.status <> 'resolved'
        order by v.contact_id, v.created_at desc),
     opened as (
       insert into ${tenant.table('conversations')} (contact_id, channel_id, status)
       select c.id, ?, 'open' from c
        where ${limited ? 'false' : writable}
          and not exists (select 1 from existing e where e.contact_id = c.id)
       on conflict do nothing
       returning id, contact_id)
     select c.*, coalesce(e.id, o.id) as conversation_id, o.id is not null as created
       from c left join existing e on e.contact_id = c.id left join opened o on o.contact_id = c.id`,
    [contactIds, channelId, channelId]
  )
  const created: string[] = []
  const missing: string[] = []
  for (const row of result.rows as any[]) {
    out.set(row.id, {
      contactId: row.id,
      phone: row.phone,
      waId: row.wa_id,
      optIn: row.opt_in,
      marketingConsent: row.marketing_consent,
      conversationId: row.conversation_id,
    })
    if (row.created) created.push(row.conversation_id)
    const mayWrite =
      row.opt_in !== 'opted_out' && !(options.marketing && row.marketing_consent === 'opted_out')
    if (!row.conversation_id && mayWrite) missing.push(row.id)
  }
  // Lost a race (another send opened it) or under a plan limit: one by one.
  for (const contactId of missing) {
    try {
      const found = await conversationForSend(tenant, contactId, channelId)
      out.get(contactId)!.conversationId = found?.conversation.id ?? null
    } catch (error) {
      if (!(error instanceof PlanLimitError)) throw error
    }
  }
  const byId = new Map([...out.values()].map((c) => [c.conversationId, c.contactId]))
  // One work batch: the listeners' queue and Redis work is one round trip.
  await inWorkBatch(async () => {
    for (const conversationId of created) {
      try {
        await emitter.emit('conversation:created', {
          tenant: tenant.slug,
          tenantId: tenant.id,
          conversationId,
          contactId: byId.get(conversationId)!,
          channelId,
        })
      } catch (error) {
        logger.error({ err: error }, 'conversation:created listener failed')
      }
    }
  })
  return out
}
