import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { DateTime } from 'luxon'
import type { TenantContext } from '#modules/tenancy/index'
import { keysetPage, type PageRequest } from '#app/http/api/index'
import Contact from '../models/contact.js'
import Conversation from '../models/conversation.js'

/*
| Cursor pages of contacts and conversations for programs (the REST API),
| newest first, with the filters the API offers. Keyset pages from the
| REST toolkit; the query runs in the tenant's schema, so another tenant's
| rows are never in it.
*/

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface ContactPageFilters {
  phone?: string | null
  /** Lower-cased. */
  email?: string | null
  tag?: string | null
  updatedSince?: DateTime | null
}

export function pageOfContacts(
  tenant: TenantContext,
  filters: ContactPageFilters,
  page: PageRequest
) {
  return tenant.transaction((trx) => {
    const query = Contact.query({ client: trx })
    if (filters.phone) query.where('phone', filters.phone)
    if (filters.email) query.whereRaw('lower(email) = ?', [filters.email])
    if (filters.tag) query.whereRaw('? = any(tags)', [filters.tag])
    if (filters.updatedSince) query.where('updated_at', '>=', filters.updatedSince.toJSDate())
    return keysetPage(query, { column: 'created_at', direction: 'desc', page })
  })
}

export function findContactByPhone(tenant: TenantContext, phone: string) {
  return tenant.transaction((trx) => Contact.query({ client: trx }).where('phone', phone).first())
}

export interface ConversationPageFilters {
  status?: string | null
  /** A member's user id, or 'none' for unassigned. */
  assignee?: string | null
  label?: string | null
  channelId?: string | null
  contactId?: string | null
  updatedSince?: DateTime | null
}

/** Conversations most recently updated first, as plain rows (one statement, no transaction). */
export function pageOfConversations(
  tenant: TenantContext,
  filters: ConversationPageFilters,
  page: PageRequest
) {
  const query = tenant.query(Conversation).pojo<Record<string, unknown>>()
  if (filters.status) query.where('status', filters.status)
  if (filters.assignee === 'none') query.whereNull('assignee_id')
  else if (filters.assignee) query.where('assignee_id', filters.assignee)
  if (filters.label) query.whereRaw('? = any(labels)', [filters.label])
  if (filters.channelId) query.where('channel_id', filters.channelId)
  if (filters.contactId) query.where('contact_id', filters.contactId)
  if (filters.updatedSince) query.where('updated_at', '>=', filters.updatedSince.toJSDate())
  return keysetPage(query, { column: 'updated_at', direction: 'desc', page })
}

/** A conversation by id in one statement naming the schema, or null (any id accepted). */
export async function conversationById(tenant: TenantContext, id: string) {
  if (!UUID.test(id)) return null
  return tenant.query(Conversation).where('id', id).first()
}

/**
 * The contact's other conversation on the same channel that is still
 * active, if any: a resolved conversation may come back only without one.
 */
export function newerActiveConversation(tenant: TenantContext, conversation: Conversation) {
  return tenant.transaction((trx) =>
    Conversation.query({ client: trx })
      .where('contact_id', conversation.contactId)
      .where('channel_id', conversation.channelId)
      .whereNot('status', 'resolved')
      .whereNot('id', conversation.id)
      .first()
  )
}

/** A contact read inside the caller's tenant transaction (an event's payload), or null. */
export function contactIn(trx: TransactionClientContract, contactId: string) {
  return Contact.query({ client: trx }).where('id', contactId).first()
}

/** A conversation read inside the caller's tenant transaction (an event's payload), or null. */
export function conversationIn(trx: TransactionClientContract, conversationId: string) {
  return Conversation.query({ client: trx }).where('id', conversationId).first()
}

/** The newest contact, by creation or by last change. */
export function latestContact(trx: TransactionClientContract, by: 'created' | 'updated') {
  return Contact.query({ client: trx })
    .orderBy(by === 'created' ? 'created_at' : 'updated_at', 'desc')
    .first()
}

/**
 * The newest conversation by creation, or the most recently changed one
 * that is resolved (`resolved`) or has an assignee (`assigned`).
 */
export function latestConversation(
  trx: TransactionClientContract,
  which: 'created' | 'resolved' | 'assigned'
) {
  if (which === 'created') {
    return Conversation.query({ client: trx }).orderBy('created_at', 'desc').first()
  }
  const query = Conversation.query({ client: trx }).orderBy('updated_at', 'desc')
  if (which === 'resolved') query.where('status', 'resolved')
  else query.whereNotNull('assignee_id')
  return query.first()
}

/** A contact by id in one statement naming the schema, or null. */
export async function contactById(tenant: TenantContext, id: string) {
  if (!UUID.test(id)) return null
  return tenant.query(Contact).where('id', id).first()
}

/** A contact by WhatsApp id, inside the caller's tenant transaction, or null. */
export function contactByWaIdIn(trx: TransactionClientContract, waId: string) {
  return Contact.query({ client: trx }).where('wa_id', waId).first()
}

/** The contact's conversation on a channel: the active one if any, else the latest. */
export function currentConversationIn(
  trx: TransactionClientContract,
  contactId: string,
  channelId: string
) {
  return Conversation.query({ client: trx })
    .where('contact_id', contactId)
    .where('channel_id', channelId)
    .orderByRaw(`(status <> 'resolved') desc`)
    .orderBy('created_at', 'desc')
    .first()
}

/** The contact's conversation the customer wrote in last (any channel), or null. */
export function lastConversationOfContact(tenant: TenantContext, contactId: string) {
  if (!UUID.test(contactId)) return Promise.resolve(null)
  return tenant
    .query(Conversation)
    .where('contact_id', contactId)
    .orderByRaw('last_customer_message_at desc nulls last')
    .orderBy('created_at', 'desc')
    .first()
}
