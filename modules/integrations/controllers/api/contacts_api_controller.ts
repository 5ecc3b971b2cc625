import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import {
  Contact,
  ContactError,
  createContact,
  findContact,
  normalizeE164,
} from '#modules/channels/index'
import { ApiError } from '../../services/api_errors.js'
import { validateApiBody } from '../../services/api_body.js'
import { keysetPage, pageBody, pageRequestFrom } from '../../services/cursor_pagination.js'
import { idempotent } from '../../services/idempotency.js'
import { presentContact } from '../../services/api_presenters.js'
import { sendJson } from '../../services/api_serialization.js'
import { createContactBody } from '../../validators/contact_api_validator.js'

/**
 * /api/v1/contacts. Lists walk newest first by cursor; another tenant's
 * contact is simply not found (the query runs in this tenant's schema).
 */
export default class ContactsApiController {
  async index(ctx: HttpContext) {
    const qs = ctx.request.qs()
    const page = pageRequestFrom(qs)
    const filters = contactFilters(qs)
    const { rows, nextCursor } = await ctx.tenant.transaction((trx) => {
      const query = Contact.query({ client: trx })
      if (filters.phone) query.where('phone', filters.phone)
      if (filters.tag) query.whereRaw('? = any(tags)', [filters.tag])
      if (filters.updatedSince) query.where('updated_at', '>=', filters.updatedSince.toJSDate())
      return keysetPage(query, { column: 'created_at', direction: 'desc', page })
    })
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
          attributes: data.attributes ?? {},
          optIn: data.opt_in ?? 'unknown',
          source: 'api',
        })
        return {
          status: 201,
          body: presentContact(contact),
          headers: { Location: `/api/v1/contacts/${contact.id}` },
        }
      } catch (error) {
        if (error instanceof ContactError && error.code === 'phone_taken') {
          throw new ApiError(409, 'phone_taken', error.message, { phone: [error.message] })
        }
        throw error
      }
    })
  }
}

function contactNotFound() {
  return new ApiError(404, 'not_found', 'No such contact')
}

function contactFilters(qs: Record<string, unknown>) {
  const fields: Record<string, string[]> = {}
  let phone: string | null = null
  if (qs.phone) {
    phone = normalizeE164(String(qs.phone))
    if (!phone) fields.phone = ['The phone number must be in international form']
  }
  let updatedSince: DateTime | null = null
  if (qs.updated_since) {
    updatedSince = DateTime.fromISO(String(qs.updated_since), { zone: 'utc' })
    if (!updatedSince.isValid)
      fields.updated_since = ['Give an ISO-8601 time, e.g. 2026-01-31T00:00:00Z']
  }
  if (Object.keys(fields).length) {
    throw new ApiError(422, 'validation_failed', 'The request is invalid', fields)
  }
  return { phone, tag: qs.tag ? String(qs.tag) : null, updatedSince }
}
