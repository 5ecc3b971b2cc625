import { DateTime } from 'luxon'
import { Exception } from '@adonisjs/core/exceptions'
import emitter from '@adonisjs/core/services/emitter'
import logger from '@adonisjs/core/services/logger'
import type { EventsList } from '@adonisjs/core/types'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { TenantContext } from '#modules/tenancy/index'
import Contact from '../models/contact.js'
import { contactListQueryValidator, type OptInState } from '../validators/contact_validator.js'
import { readQuery } from '#app/validation/query'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { guessLocale } from './contact_locale.js'
import ContactField from '../models/contact_field.js'
import { checkAttributes, type AttributeProblem } from './contact_field_service.js'

/** Where a consent (given or withdrawn) came from. */
export const CONSENT_SOURCES = ['import', 'web_chat', 'keyword', 'api', 'form'] as const
export type ConsentSource = (typeof CONSENT_SOURCES)[number]

export const CONTACTS_PER_PAGE = 25

/** A contact request the workspace refuses; `field` names the form field at fault. */
export class ContactError extends Exception {
  constructor(
    code: string,
    message: string,
    readonly field: string | null = null,
    status = 422
  ) {
    super(message, { code, status })
  }
}

/** Custom field values the workspace's definitions refuse, by key. */
export class ContactAttributesError extends ContactError {
  constructor(
    readonly problems: Record<string, AttributeProblem>,
    readonly fields: ContactField[]
  ) {
    super('invalid_attributes', 'Some custom field values are invalid', 'attributes', 422)
  }
}

export interface ContactFilters {
  q: string
  tag: string
  optIn: OptInState | 'all'
  page: number
}

/** Reads the list's search and filters from a query string with VineJS, ignoring nonsense. */
export async function contactFiltersFrom(qs: Record<string, unknown>): Promise<ContactFilters> {
  const query = await readQuery(contactListQueryValidator, qs)
  return {
    q: query.q ?? '',
    tag: query.tag ?? '',
    optIn: query.opt_in ?? 'all',
    page: query.page ?? 1,
  }
}

function likePattern(term: string) {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

interface FilterableQuery {
  where(callback: (where: any) => void): unknown
  whereRaw(sql: string, bindings: any[]): unknown
}

/**
 * The list's search (name, profile name, phone, e-mail) and filters on a
 * query over `contacts`: the page and the CSV export select alike.
 */
export function applyListFilters(query: FilterableQuery, filters: Omit<ContactFilters, 'page'>) {
  if (filters.q) {
    const term = likePattern(filters.q)
    // People type numbers with spaces and dashes; stored ones have none.
    const digits = filters.q.replace(/[\s\-().]/g, '')
    query.where((where) => {
      where
        .whereILike('name', term)
        .orWhereILike('profile_name', term)
        .orWhereILike('email', term)
        .orWhereILike('phone', digits ? likePattern(digits) : term)
    })
  }
  if (filters.tag) query.whereRaw('? = any(tags)', [filters.tag])
  if (filters.optIn !== 'all') query.where((where) => where.where('opt_in', filters.optIn))
}

/**
 * A page of the tenant's contacts, most recently updated first, matching the
 * search (name, profile name, phone, e-mail) and the filters. `baseUrl` and the
 * filters make the paginator's links keep the search.
 */
export async function listContacts(
  tenant: TenantContext,
  filters: ContactFilters,
  baseUrl: string
) {
  const contacts = await tenant.transaction(async (trx) => {
    const query = Contact.query({ client: trx })
    applyListFilters(query, filters)
    return query
      .orderBy('updated_at', 'desc')
      .orderBy('id')
      .paginate(filters.page, CONTACTS_PER_PAGE)
  })
  contacts.baseUrl(baseUrl)
  const qs: Record<string, string> = {}
  if (filters.q) qs.q = filters.q
  if (filters.tag) qs.tag = filters.tag
  if (filters.optIn !== 'all') qs.opt_in = filters.optIn
  contacts.queryString(qs)
  return contacts
}

/** Every tag in use, for the filter. */
export async function contactTags(tenant: TenantContext): Promise<string[]> {
  return tenant.transaction(async (trx) => {
    const result = await trx.rawQuery(
      'select distinct unnest(tags) as tag from contacts order by tag limit 200'
    )
    return result.rows.map((row: { tag: string }) => row.tag)
  })
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** One of the tenant's contacts with how many conversations it has, or null. */
export async function findContact(tenant: TenantContext, contactId: string) {
  if (!UUID.test(contactId)) return null
  return tenant.transaction(async (trx) => {
    const contact = await Contact.find(contactId, { client: trx })
    if (!contact) return null
    const [{ total }] = await trx
      .from('conversations')
      .where('contact_id', contact.id)
      .count('* as total')
    return { contact, conversationsCount: Number(total) }
  })
}

/** findContact, or E_ROW_NOT_FOUND (answered 404) for an unknown or another tenant's id. */
export async function findContactOrFail(tenant: TenantContext, contactId: string) {
  const found = await findContact(tenant, contactId)
  if (!found) throw new lucidErrors.E_ROW_NOT_FOUND(Contact)
  return found
}

export interface ContactDetails {
  name?: string | null
  email?: string | null
  tags?: string[]
  notes?: string | null
  attributes?: Record<string, unknown>
  /** Consent to service messages. */
  optIn: OptInState
  /** Consent to marketing messages; unchanged when not given. */
  marketingConsent?: OptInState
  /** Where a change of either consent came from (defaults to the form). */
  consentSource?: ConsentSource | string | null
  /** Unchanged when not given (undefined); null clears. */
  timeZone?: string | null
  language?: string | null
}

export interface NewContact extends ContactDetails {
  /** E.164, already normalised by the validator. */
  phone: string
  source?: string
}

/**
 * Checks given custom field values against the workspace's definitions
 * (throws ContactAttributesError) and sets them; keys stored before any
 * definition existed stay as they are. Not given: unchanged.
 */
async function applyAttributes(
  trx: TransactionClientContract,
  contact: Contact,
  given: Record<string, unknown> | undefined
) {
  if (given === undefined) {
    contact.attributes ??= {}
    return
  }
  const fields = await ContactField.query({ client: trx })
  const { values, problems } = checkAttributes(fields, given)
  if (Object.keys(problems).length) throw new ContactAttributesError(problems, fields)
  const defined = new Set(fields.map((field) => field.key))
  const kept = Object.fromEntries(
    Object.entries(contact.attributes ?? {}).filter(([key]) => !defined.has(key))
  )
  contact.attributes = { ...kept, ...values }
}

function applyDetails(contact: Contact, details: ContactDetails) {
  contact.merge({
    name: details.name || null,
    email: details.email?.toLowerCase() || null,
    tags: details.tags ?? [],
    notes: details.notes || null,
  })
  if (details.timeZone !== undefined) contact.timeZone = details.timeZone || null
  if (details.language !== undefined) contact.language = details.language || null
  const source = details.consentSource || 'form'
  if (details.optIn !== contact.optIn) {
    // Opting out is dated (it is what the law asks us to prove); any other change clears it.
    contact.optedOutAt = details.optIn === 'opted_out' ? DateTime.now() : null
    contact.optIn = details.optIn
    contact.serviceConsentSource = source
    contact.serviceConsentAt = DateTime.now()
  }
  if (details.marketingConsent && details.marketingConsent !== contact.marketingConsent) {
    contact.marketingConsent = details.marketingConsent
    contact.marketingConsentSource = source
    contact.marketingConsentAt = DateTime.now()
  }
}

function phoneTaken(phone: string) {
  return new ContactError('phone_taken', `A contact with ${phone} already exists`, 'phone', 409)
}

export async function createContact(tenant: TenantContext, input: NewContact): Promise<Contact> {
  const created = await tenant.transaction(async (trx) => {
    if (await Contact.query({ client: trx }).where('phone', input.phone).first()) {
      throw phoneTaken(input.phone)
    }
    const contact = new Contact()
    contact.useTransaction(trx)
    contact.merge({
      phone: input.phone,
      waId: input.phone.slice(1),
      source: input.source ?? 'manual',
      optIn: 'unknown',
      optedOutAt: null,
      marketingConsent: 'unknown',
    })
    const guessed = guessLocale(input.phone)
    applyDetails(contact, {
      ...input,
      timeZone: input.timeZone === undefined ? guessed.timeZone : input.timeZone,
      language: input.language === undefined ? guessed.language : input.language,
    })
    await applyAttributes(trx, contact, input.attributes)
    try {
      await contact.save()
    } catch (error) {
      // Another request (or an inbound message) created it a moment ago.
      if ((error as { code?: string }).code === '23505') throw phoneTaken(input.phone)
      throw error
    }
    return contact
  })
  await announce('contact:created', {
    tenant: tenant.slug,
    tenantId: tenant.id,
    contactId: created.id,
    source: created.source,
  })
  return created
}

export async function updateContact(
  tenant: TenantContext,
  contactId: string,
  details: ContactDetails
): Promise<Contact> {
  if (!UUID.test(contactId)) throw notFound()
  const { contact, changes } = await tenant.transaction(async (trx) => {
    const found = await Contact.find(contactId, { client: trx })
    if (!found) throw notFound()
    applyDetails(found, details)
    await applyAttributes(trx, found, details.attributes)
    const dirty = Object.keys(found.$dirty)
    await found.save()
    return { contact: found, changes: dirty }
  })
  if (changes.length) {
    await announce('contact:updated', {
      tenant: tenant.slug,
      tenantId: tenant.id,
      contactId: contact.id,
      byUserId: null,
      changes: changes.map((name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)),
    })
  }
  return contact
}

/** Emitted after the commit; the change stands even if a listener fails. */
async function announce<Name extends 'contact:created' | 'contact:updated'>(
  name: Name,
  data: EventsList[Name]
) {
  try {
    await emitter.emit(name, data)
  } catch (error) {
    logger.error({ err: error, event: name }, 'contact event listener failed')
  }
}

/**
 * Deletes a contact; its conversations and messages go with it (the foreign
 * keys cascade). Returns what was erased, for the audit log.
 */
export async function deleteContact(tenant: TenantContext, contactId: string) {
  if (!UUID.test(contactId)) throw notFound()
  return tenant.transaction(async (trx) => {
    const contact = await Contact.find(contactId, { client: trx })
    if (!contact) throw notFound()
    const [{ total }] = await trx
      .from('conversations')
      .where('contact_id', contact.id)
      .count('* as total')
    await contact.delete()
    return { contact, conversationsErased: Number(total) }
  })
}

function notFound() {
  return new ContactError('not_found', 'No such contact in this workspace', null, 404)
}

/** How many contacts the workspace has (the dashboard's figure). */
export async function contactCount(tenant: TenantContext) {
  return tenant.transaction(async (trx) => {
    const row = await Contact.query({ client: trx }).count('* as total').first()
    return Number(row?.$extras.total ?? 0)
  })
}

/**
 * A customer's opt-out or opt-in keyword (STOP / START), recorded on their
 * contact under a row lock: STOP withdraws service and marketing consent,
 * START restores service messages only. Answers whether anything changed
 * (a second STOP changes nothing), and announces a change as
 * `contact:updated`.
 */
export async function recordKeywordConsent(
  tenant: TenantContext,
  contactId: string,
  outcome: 'opted_out' | 'opted_in'
): Promise<boolean> {
  const changed = await tenant.transaction(async (trx) => {
    const current = await Contact.query({ client: trx }).where('id', contactId).forUpdate().first()
    if (!current) return false
    if (outcome === 'opted_out' && current.optIn === 'opted_out') return false
    if (outcome === 'opted_in' && current.optIn !== 'opted_out') return false
    const now = DateTime.now()
    current.optIn = outcome
    current.optedOutAt = outcome === 'opted_out' ? now : null
    current.serviceConsentSource = 'keyword'
    current.serviceConsentAt = now
    if (outcome === 'opted_out' && current.marketingConsent !== 'opted_out') {
      current.marketingConsent = 'opted_out'
      current.marketingConsentSource = 'keyword'
      current.marketingConsentAt = now
    }
    await current.useTransaction(trx).save()
    return true
  })
  if (changed) {
    await emitter
      .emit('contact:updated', {
        tenant: tenant.slug,
        tenantId: tenant.id,
        contactId,
        byUserId: null,
        changes: ['opt_in'],
      })
      .catch((error) => logger.error({ err: error }, 'contact:updated listener failed'))
  }
  return changed
}

/**
 * WhatsApp said the person stopped marketing messages from the business
 * (error 131050): their marketing consent becomes opted_out, source
 * "whatsapp". Service consent is untouched. Returns whether it changed.
 */
export async function withdrawMarketingConsent(
  tenant: TenantContext,
  contactId: string
): Promise<boolean> {
  const changed = await tenant.transaction(async (trx) => {
    const current = await Contact.query({ client: trx }).where('id', contactId).forUpdate().first()
    if (!current || current.marketingConsent === 'opted_out') return false
    current.marketingConsent = 'opted_out'
    current.marketingConsentSource = 'whatsapp'
    current.marketingConsentAt = DateTime.now()
    await current.useTransaction(trx).save()
    return true
  })
  if (changed) {
    await emitter
      .emit('contact:updated', {
        tenant: tenant.slug,
        tenantId: tenant.id,
        contactId,
        byUserId: null,
        changes: ['marketing_consent'],
      })
      .catch((error) => logger.error({ err: error }, 'contact:updated listener failed'))
  }
  return changed
}
