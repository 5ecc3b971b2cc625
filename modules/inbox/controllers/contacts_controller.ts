import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { actorFromRequest, can } from '#modules/identity/index'
import { recordAudit, workspaceLayout } from '#modules/tenancy/index'
import {
  ContactError,
  contactFiltersFrom,
  contactTags,
  createContact,
  deleteContact,
  findContactOrFail,
  listContacts,
  updateContact,
  ContactAttributesError,
} from '../services/contact_service.js'
import {
  CUSTOM_FIELD_PREFIX,
  OPT_IN_STATES,
  createContactValidator,
  customFieldInput,
  parseTags,
  updateContactValidator,
} from '../validators/contact_validator.js'
import type Contact from '../models/contact.js'
import { MAX_TEXT_VALUE, listContactFields } from '../services/contact_field_service.js'
import { consentLines, customFieldRows, otherAttributes } from '../presenters/contact_presenter.js'
import { fieldError, keepInput, validatedOrBack } from '#app/http/form_errors'
import { wantsFragment } from '#app/http/htmx'

/**
 * The people a workspace talks to: a searchable list, each contact's page,
 * and the changes members make to them (viewers only look).
 */
export default class ContactsController {
  async index(ctx: HttpContext) {
    const { bouncer, request, view, access, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('view', access)
    const layout = workspaceLayout(ctx, 'contacts')
    const filters = await contactFiltersFrom(request.qs())
    const [contacts, tags] = await Promise.all([
      listContacts(tenant, filters, `${layout.base}/contacts`),
      contactTags(tenant),
    ])
    const data = {
      base: layout.base,
      filters,
      contacts,
      tags,
      optInStates: OPT_IN_STATES,
      canManage: can(access, 'contacts.manage'),
      canBulk: can(access, 'contacts.bulk'),
      exportUrl: `${layout.base}/contacts/export${exportQuery(filters)}`,
      filtered: !!(filters.q || filters.tag || filters.optIn !== 'all'),
    }
    if (wantsFragment(request, 'contact-results')) {
      return view.render('inbox::contacts/results', data)
    }
    return view.render('inbox::contacts/index', { ...layout, ...data })
  }

  async create(ctx: HttpContext) {
    const { bouncer, view, access, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('manage', access)
    const fields = await listContactFields(tenant)
    return view.render('inbox::contacts/new', {
      ...workspaceLayout(ctx, 'contacts'),
      optInChoices: optInChoices(ctx),
      customFields: customFieldRows(fields, {}, ctx.i18n.t.bind(ctx.i18n)),
    })
  }

  async store(ctx: HttpContext) {
    const { bouncer, request, response, session, access, i18n, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('manage', access)
    const base = basePath(ctx)
    const data = await validatedOrBack(ctx, `${base}/contacts/new`, (meta) =>
      request.validateUsing(createContactValidator, { meta })
    )
    if (!data) return
    try {
      const contact = await createContact(tenant, {
        phone: data.phone,
        ...details(data, request.all()),
        // Left blank: guessed from the phone's country.
        timeZone: data.time_zone || undefined,
        language: data.language || undefined,
      })
      session.flash('success', i18n.t('contacts.flash.created', { name: label(contact) }))
      return response.redirect(`${base}/contacts/${contact.id}`)
    } catch (error) {
      if (error instanceof ContactAttributesError) {
        attributeErrors(ctx, error)
        return response.redirect(`${base}/contacts/new`)
      }
      if (!(error instanceof ContactError) || error.code !== 'phone_taken') throw error
      fieldError(ctx, 'phone', i18n.t('contacts.errors.phone_taken', { phone: data.phone }))
      return response.redirect(`${base}/contacts/new`)
    }
  }

  async show(ctx: HttpContext) {
    const { bouncer, view, access, params, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('view', access)
    const [found, fields] = await Promise.all([
      findContactOrFail(tenant, params.id),
      listContactFields(tenant),
    ])
    const { contact, conversationsCount } = found
    return view.render('inbox::contacts/show', {
      ...workspaceLayout(ctx, 'contacts'),
      contact,
      label: label(contact),
      customFields: customFieldRows(fields, contact.attributes ?? {}, ctx.i18n.t.bind(ctx.i18n)),
      otherAttributes: otherAttributes(fields, contact.attributes ?? {}),
      consent: consentLines(contact),
      canDefineFields: can(access, 'inbox.settings'),
      tagsText: (contact.tags ?? []).join(', '),
      conversationsCount,
      confirmExpected: contact.phone ?? contact.email ?? contact.id.slice(0, 8),
      canManage: can(access, 'contacts.manage'),
      optInChoices: optInChoices(ctx),
    })
  }

  async update(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('manage', access)
    const found = await findContactOrFail(tenant, params.id)
    const back = `${basePath(ctx)}/contacts/${found.contact.id}`
    const data = await validatedOrBack(ctx, `${back}#edit`, (meta) =>
      request.validateUsing(updateContactValidator, { meta })
    )
    if (!data) return
    let contact: Contact
    try {
      contact = await updateContact(tenant, found.contact.id, details(data, request.all()))
    } catch (error) {
      if (!(error instanceof ContactAttributesError)) rethrowNotFound(error)
      attributeErrors(ctx, error)
      return response.redirect(`${back}#edit`)
    }
    session.flash('success', i18n.t('contacts.flash.saved', { name: label(contact) }))
    return response.redirect(back)
  }

  /** Deletes a contact with its conversations once its number is typed. */
  async destroy(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('manage', access)
    const found = await findContactOrFail(tenant, params.id)
    const { contact } = found
    const expected = contact.phone ?? contact.email ?? contact.id.slice(0, 8)
    const typed = String(request.input('confirm') ?? '').trim()
    if (typed.replace(/\s/g, '') !== expected) {
      const message = i18n.t('contacts.errors.confirm_mismatch', { expected })
      session.flash('inputErrorsBag', { confirm: [message] })
      session.flash('error', message)
      return response.redirect(`${basePath(ctx)}/contacts/${contact.id}#delete`)
    }
    const { conversationsErased } = await deleteContact(tenant, contact.id).catch((error) =>
      rethrowNotFound(error)
    )
    // Central table: written after the tenant's transaction, which cannot see it.
    await recordAudit(actorFromRequest(ctx), {
      action: 'contact.deleted',
      tenant: { id: access.tenantId, slug: access.tenantSlug },
      subjectType: 'contact',
      subjectId: contact.id,
      metadata: { conversationsErased },
    })
    session.flash('success', i18n.t('contacts.flash.deleted', { name: label(contact) }))
    return response.redirect(`${basePath(ctx)}/contacts`)
  }
}

function details(
  data: {
    name?: string
    email?: string
    tags?: string
    notes?: string
    opt_in: (typeof OPT_IN_STATES)[number]
    marketing_consent?: (typeof OPT_IN_STATES)[number]
    time_zone?: string
    language?: string
  },
  body: Record<string, unknown>
) {
  return {
    name: data.name ?? null,
    email: data.email ?? null,
    tags: parseTags(data.tags),
    notes: data.notes ?? null,
    // Every defined field is in the form; the service checks them against their definitions.
    attributes: customFieldInput(body),
    optIn: data.opt_in,
    marketingConsent: data.marketing_consent,
    consentSource: 'form',
    timeZone: data.time_zone ?? null,
    language: data.language ?? null,
  }
}

/** The service's verdict on custom field values, as the form's field errors. */
function attributeErrors(ctx: HttpContext, error: ContactAttributesError) {
  keepInput(ctx)
  const bag: Record<string, string[]> = {}
  for (const [key, problem] of Object.entries(error.problems)) {
    bag[`${CUSTOM_FIELD_PREFIX}${key}`] = [
      ctx.i18n.t(`contacts.validation.custom.${problem}`, { max: MAX_TEXT_VALUE }),
    ]
  }
  ctx.session.flash('inputErrorsBag', bag)
  ctx.session.flash('error', ctx.i18n.t('contacts.validation.custom_summary'))
}

/** The list's filters as the export's query string, so it downloads what the page shows. */
function exportQuery(filters: { q: string; tag: string; optIn: string }) {
  const qs = new URLSearchParams()
  if (filters.q) qs.set('q', filters.q)
  if (filters.tag) qs.set('tag', filters.tag)
  if (filters.optIn !== 'all') qs.set('opt_in', filters.optIn)
  const text = qs.toString()
  return text ? `?${text}` : ''
}

function label(contact: Contact) {
  return contact.name || contact.profileName || contact.phone || contact.email || ''
}

function optInChoices(ctx: HttpContext) {
  return OPT_IN_STATES.map((state) => ({
    value: state,
    label: ctx.i18n.t(`contacts.opt_in.${state}`),
  }))
}

function basePath(ctx: HttpContext) {
  return workspaceLayout(ctx, 'contacts').base
}

function rethrowNotFound(error: unknown): never {
  if (error instanceof ContactError && error.code === 'not_found')
    throw new lucidErrors.E_ROW_NOT_FOUND()
  throw error
}
