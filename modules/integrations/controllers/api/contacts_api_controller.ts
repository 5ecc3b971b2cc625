import {
  findContactByPhone,
  pageOfContacts,
  Contact,
  ContactAttributesError,
  ContactError,
  attributeProblemText,
  createContact,
  deleteContact,
  findContact,
  updateContact,
  type ContactDetails,
} from '#modules/inbox/index'
import type { HttpContext } from '@adonisjs/core/http'
import type { DateTime } from 'luxon'
import { normalizeE164 } from '#app/validation/phone_rule'
import { recordAudit, type TenantContext } from '#modules/tenancy/index'
import {
  ApiError,
  validateApiBody,
  validateApiQuery,
  pageBody,
  pageRequestFrom,
  idempotent,
  sendJson,
} from '#app/http/api/index'
import { presentContact } from '../../services/api_presenters.js'
import {
  contactDetailsBody,
  contactListQuery,
  createContactBody,
} from '../../validators/contact_api_validator.js'
import { apiActor } from './api_actor.js'

type DetailsInput = Awaited<ReturnType<typeof contactDetailsBody.validator.validate>>

/**
 * /api/v1/contacts. Lists walk newest first by cursor; another tenant's
 * contact is simply not found (the query runs in this tenant's schema).
 * Changes go through the channels module's contact service, as the
 * workspace's contact pages do (which announces them as contact events).
 */
export default class ContactsApiController {
  async index(ctx: HttpContext) {
    const qs = ctx.request.qs()
    const page = pageRequestFrom(qs)
    const filters = await contactFilters(ctx)
    const { rows, nextCursor } = await pageOfContacts(ctx.tenant, filters, page)
    return sendJson(ctx, 200, pageBody(rows.map(presentContact), nextCursor))
  }

  async show(ctx: HttpContext) {
    const found = await findContact(ctx.tenant, ctx.params.id)
    if (!found) throw contactNotFound()
    return sendJson(ctx, 200, presentContact(found.contact))
  }

  /** Creates a contact; with an Idempotency-Key a retried POST creates it once. */
  async store(ctx: HttpContext) {
    return idempotent(ctx, async () => {
      const data = await validateApiBody(ctx, createContactBody)
      try {
        const contact = await createContact(ctx.tenant, {
          phone: data.phone,
          name: data.name ?? null,
          email: data.email ?? null,
          tags: data.tags ?? [],
          notes: data.notes ?? null,
          // Checked against the workspace's fields, required ones included.
          attributes: data.attributes ?? {},
          optIn: data.opt_in ?? 'unknown',
          marketingConsent: data.consent?.marketing,
          consentSource: data.consent?.source ?? 'api',
          timeZone: data.time_zone,
          language: data.language,
          source: 'api',
        })
        return {
          status: 201,
          body: presentContact(contact),
          headers: { Location: `/api/v1/contacts/${contact.id}` },
        }
      } catch (error) {
        throw phoneTakenAsApiError(error)
      }
    })
  }

  /**
   * PUT /contacts/by-phone/:phone: the contact with this number, created
   * (201) or updated (200) with the fields given. The natural call for a
   * flow that knows a phone number but not our id.
   */
  async upsert(ctx: HttpContext) {
    const phone = normalizeE164(decodedParam(ctx.params.phone))
    if (!phone) {
      throw new ApiError(422, 'validation_failed', 'The request is invalid', {
        phone: ['The phone number must be in international form, e.g. +971501234567'],
      })
    }
    const data = await validateApiBody(ctx, contactDetailsBody)
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await findContactByPhone(ctx.tenant, phone)
      if (existing) {
        const contact = await changeContact(ctx.tenant, existing, data)
        return sendJson(ctx, 200, presentContact(contact))
      }
      try {
        const contact = await createContact(ctx.tenant, {
          phone,
          ...mergedDetails(null, data),
          attributes: data.attributes ?? {},
          source: 'api',
        }).catch((error) => {
          throw attributesAsApiError(error)
        })
        ctx.response.header('Location', `/api/v1/contacts/${contact.id}`)
        return sendJson(ctx, 201, presentContact(contact))
      } catch (error) {
        // Created by someone else a moment ago: update it instead.
        if (!(error instanceof ContactError && error.code === 'phone_taken')) throw error
      }
    }
    throw new ApiError(409, 'conflict', 'The contact changed meanwhile; retry')
  }

  /** PATCH /contacts/:id: the fields given change, the others stay. */
  async update(ctx: HttpContext) {
    const found = await findContact(ctx.tenant, ctx.params.id)
    if (!found) throw contactNotFound()
    const data = await validateApiBody(ctx, contactDetailsBody)
    const contact = await changeContact(ctx.tenant, found.contact, data)
    return sendJson(ctx, 200, presentContact(contact))
  }

  /**
   * DELETE /contacts/:id: erases the contact with its conversations,
   * messages and what the assistant remembered of it (the database's
   * cascades), audited as the workspace's delete is.
   */
  async destroy(ctx: HttpContext) {
    const found = await findContact(ctx.tenant, ctx.params.id)
    if (!found) throw contactNotFound()
    const { conversationsErased } = await deleteContact(ctx.tenant, found.contact.id).catch(
      (error) => {
        if (error instanceof ContactError && error.code === 'not_found') throw contactNotFound()
        throw error
      }
    )
    // Central table: written after the tenant's transaction, which cannot see it.
    await recordAudit(apiActor(ctx), {
      action: 'contact.deleted',
      tenant: { id: ctx.tenant.id, slug: ctx.tenant.slug },
      subjectType: 'contact',
      subjectId: found.contact.id,
      metadata: { conversationsErased, via: 'api' },
    })
    return ctx.response.status(204).send('')
  }
}

/** The contact's details after applying the given fields over its current ones. */
function mergedDetails(contact: Contact | null, data: DetailsInput): ContactDetails {
  const pick = <T>(given: T | undefined, current: T) => (given === undefined ? current : given)
  return {
    name: pick(data.name, contact?.name ?? null),
    email: pick(data.email, contact?.email ?? null),
    tags: pick(data.tags, contact?.tags ?? []),
    notes: pick(data.notes, contact?.notes ?? null),
    // Not given: unchanged (the inbox checks given ones against the workspace's fields).
    attributes: data.attributes,
    optIn: pick(data.opt_in, contact?.optIn ?? 'unknown'),
    marketingConsent: data.consent?.marketing,
    consentSource: data.consent?.source ?? 'api',
    timeZone: data.time_zone,
    language: data.language,
  }
}

/** Applies the given fields; the contact service announces what changed (contact:updated). */
function changeContact(tenant: TenantContext, contact: Contact, data: DetailsInput) {
  return updateContact(tenant, contact.id, mergedDetails(contact, data)).catch((error) => {
    if (error instanceof ContactError && error.code === 'not_found') throw contactNotFound()
    throw attributesAsApiError(error)
  })
}

/** Custom field values the workspace's definitions refuse, as field errors `attributes.<key>`. */
function attributesAsApiError(error: unknown) {
  if (!(error instanceof ContactAttributesError)) return error
  const fields: Record<string, string[]> = {}
  for (const [key, problem] of Object.entries(error.problems)) {
    const field = error.fields.find((candidate) => candidate.key === key)
    fields[`attributes.${key}`] = [attributeProblemText(problem, field)]
  }
  return new ApiError(422, 'validation_failed', 'The request is invalid', fields)
}

function phoneTakenAsApiError(error: unknown) {
  if (error instanceof ContactAttributesError) return attributesAsApiError(error)
  if (error instanceof ContactError && error.code === 'phone_taken') {
    return new ApiError(409, 'phone_taken', error.message, { phone: [error.message] })
  }
  return error
}

function contactNotFound() {
  return new ApiError(404, 'not_found', 'No such contact')
}

async function contactFilters(ctx: HttpContext) {
  const query = await validateApiQuery(ctx, contactListQuery)
  return {
    phone: query.phone ?? null,
    email: query.email ?? null,
    tag: query.tag ?? null,
    updatedSince: (query.updated_since as unknown as DateTime | undefined) ?? null,
  }
}

/** A path parameter percent-decoded; malformed escapes (a lone `%`) decode to nothing. */
function decodedParam(value: unknown) {
  try {
    return decodeURIComponent(String(value))
  } catch {
    return ''
  }
}
