import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { workspaceLayout } from '#modules/tenancy/index'
import { ContactError } from '../services/contact_service.js'
import {
  CONTACT_FIELD_TYPES,
  MAX_CONTACT_FIELDS,
  createContactField,
  deleteContactField,
  findContactFieldOrFail,
  listContactFields,
  parseChoices,
  updateContactField,
} from '../services/contact_field_service.js'
import {
  createContactFieldValidator,
  updateContactFieldValidator,
} from '../validators/contact_field_validator.js'
import { fieldError, validatedOrBack } from '#app/http/form_errors'

/**
 * The workspace's custom contact fields: owners and admins define them
 * (with the inbox's settings); every contact page and the API use them.
 */
export default class ContactFieldsController {
  async index(ctx: HttpContext) {
    const { bouncer, view, access, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('defineFields', access)
    const fields = await listContactFields(tenant)
    return view.render('inbox::contact_fields/index', {
      ...workspaceLayout(ctx, 'contact_fields'),
      fields,
      typeChoices: typeChoices(ctx),
    })
  }

  async store(ctx: HttpContext) {
    const { bouncer, request, response, session, access, i18n, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('defineFields', access)
    const list = `${basePath(ctx)}/settings/contact-fields`
    const data = await validatedOrBack(ctx, `${list}#new`, (meta) =>
      request.validateUsing(createContactFieldValidator, { meta })
    )
    if (!data) return
    try {
      const field = await createContactField(tenant, {
        key: data.key,
        label: data.label,
        type: data.type,
        required: data.required ?? false,
        choices: parseChoices(data.choices),
      })
      session.flash(
        'success',
        i18n.t('contacts.custom_fields.flash.created', { label: field.label })
      )
      return response.redirect(list)
    } catch (error) {
      if (!(error instanceof ContactError) || !error.field) throw error
      fieldError(ctx, error.field, fieldErrorText(ctx, error, data.key))
      return response.redirect(`${list}#new`)
    }
  }

  async edit(ctx: HttpContext) {
    const { bouncer, view, access, params, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('defineFields', access)
    const field = await findContactFieldOrFail(tenant, params.id).catch(rethrowNotFound)
    return view.render('inbox::contact_fields/edit', {
      ...workspaceLayout(ctx, 'contact_fields'),
      field,
      choicesText: field.choices.join('\n'),
    })
  }

  async update(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('defineFields', access)
    const field = await findContactFieldOrFail(tenant, params.id).catch(rethrowNotFound)
    const page = `${basePath(ctx)}/settings/contact-fields/${field.id}`
    const data = await validatedOrBack(ctx, page, (meta) =>
      request.validateUsing(updateContactFieldValidator, { meta })
    )
    if (!data) return
    try {
      const saved = await updateContactField(tenant, field.id, {
        label: data.label,
        required: data.required ?? false,
        choices: parseChoices(data.choices),
      })
      session.flash('success', i18n.t('contacts.custom_fields.flash.saved', { label: saved.label }))
      return response.redirect(`${basePath(ctx)}/settings/contact-fields`)
    } catch (error) {
      if (!(error instanceof ContactError) || !error.field) throw rethrowNotFound(error)
      fieldError(ctx, error.field, fieldErrorText(ctx, error, field.key))
      return response.redirect(page)
    }
  }

  /** Deletes a field, and its values on every contact, once its key is typed. */
  async destroy(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n, tenant } = ctx
    await bouncer.with('ContactsPolicy').authorize('defineFields', access)
    const found = await findContactFieldOrFail(tenant, params.id).catch(rethrowNotFound)
    if (String(request.input('confirm') ?? '').trim() !== found.key) {
      const message = i18n.t('contacts.custom_fields.errors.confirm_mismatch', {
        expected: found.key,
      })
      session.flash('inputErrorsBag', { confirm: [message] })
      session.flash('error', message)
      return response.redirect(`${basePath(ctx)}/settings/contact-fields/${found.id}#delete`)
    }
    const field = await deleteContactField(tenant, found.id).catch(rethrowNotFound)
    session.flash('success', i18n.t('contacts.custom_fields.flash.deleted', { label: field.label }))
    return response.redirect(`${basePath(ctx)}/settings/contact-fields`)
  }
}

function fieldErrorText(ctx: HttpContext, error: ContactError, key: string) {
  return ctx.i18n.t(`contacts.custom_fields.errors.${error.code}`, {
    key,
    max: MAX_CONTACT_FIELDS,
  })
}

function typeChoices(ctx: HttpContext) {
  return CONTACT_FIELD_TYPES.map((type) => ({
    value: type,
    label: ctx.i18n.t(`contacts.custom_fields.types.${type}`),
  }))
}

function basePath(ctx: HttpContext) {
  return workspaceLayout(ctx, 'contact_fields').base
}

function rethrowNotFound(error: unknown): never {
  if (error instanceof ContactError && error.code === 'not_found')
    throw new lucidErrors.E_ROW_NOT_FOUND()
  throw error
}
