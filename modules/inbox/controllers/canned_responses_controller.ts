import type { HttpContext } from '@adonisjs/core/http'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { workspaceLayout } from '#modules/tenancy/index'
import Contact from '../models/contact.js'
import { ChannelError } from '#modules/channels/index'
import { findConversation } from '../services/conversation_service.js'
import {
  MAX_CANNED_BODY,
  MAX_CANNED_TITLE,
  createCannedResponse,
  deleteCannedResponse,
  fillPlaceholders,
  findCannedResponseOrFail,
  listCannedResponses,
  searchCannedResponses,
  updateCannedResponse,
} from '../services/canned_response_service.js'
import { cannedResponseValidator } from '../validators/canned_response_validator.js'
import { fieldError, validatedOrBack } from '#app/http/form_errors'

/**
 * Canned responses: the settings pages where owners and admins write them,
 * and the search behind the composer's `/` menu, which every member who
 * replies uses.
 */
export default class CannedResponsesController {
  async index(ctx: HttpContext) {
    const { bouncer, view, access, tenant } = ctx
    await bouncer.with('CannedResponsesPolicy').authorize('manage', access)
    const responses = await listCannedResponses(tenant)
    return view.render('inbox::canned_responses/index', {
      ...workspaceLayout(ctx, 'canned'),
      responses,
      limits: { title: MAX_CANNED_TITLE, body: MAX_CANNED_BODY },
    })
  }

  async store(ctx: HttpContext) {
    const { bouncer, request, response, session, access, i18n, tenant, auth } = ctx
    await bouncer.with('CannedResponsesPolicy').authorize('manage', access)
    const list = `${basePath(ctx)}/settings/canned-responses`
    const data = await validatedOrBack(ctx, `${list}#new`, (meta) =>
      request.validateUsing(cannedResponseValidator, { meta })
    )
    if (!data) return
    try {
      const created = await createCannedResponse(tenant, data, auth.user!.id)
      session.flash(
        'success',
        i18n.t('composer.canned.flash.created', { shortcut: created.shortcut })
      )
      return response.redirect(list)
    } catch (error) {
      if (!(error instanceof ChannelError) || error.code !== 'shortcut_taken') throw error
      fieldError(
        ctx,
        'shortcut',
        i18n.t('composer.canned.validation.shortcut_taken', { shortcut: data.shortcut })
      )
      return response.redirect(`${list}#new`)
    }
  }

  async edit(ctx: HttpContext) {
    const { bouncer, view, access, params, tenant } = ctx
    await bouncer.with('CannedResponsesPolicy').authorize('manage', access)
    const canned = await findCannedResponseOrFail(tenant, params.id)
    return view.render('inbox::canned_responses/edit', {
      ...workspaceLayout(ctx, 'canned'),
      canned,
      limits: { title: MAX_CANNED_TITLE, body: MAX_CANNED_BODY },
    })
  }

  async update(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n, tenant } = ctx
    await bouncer.with('CannedResponsesPolicy').authorize('manage', access)
    const canned = await findCannedResponseOrFail(tenant, params.id)
    const page = `${basePath(ctx)}/settings/canned-responses/${canned.id}`
    const data = await validatedOrBack(ctx, page, (meta) =>
      request.validateUsing(cannedResponseValidator, { meta })
    )
    if (!data) return
    try {
      const saved = await updateCannedResponse(tenant, canned.id, data)
      session.flash('success', i18n.t('composer.canned.flash.saved', { shortcut: saved.shortcut }))
      return response.redirect(`${basePath(ctx)}/settings/canned-responses`)
    } catch (error) {
      if (!(error instanceof ChannelError)) throw error
      if (error.code === 'not_found') throw new lucidErrors.E_ROW_NOT_FOUND()
      if (error.code !== 'shortcut_taken') throw error
      fieldError(
        ctx,
        'shortcut',
        i18n.t('composer.canned.validation.shortcut_taken', { shortcut: data.shortcut })
      )
      return response.redirect(page)
    }
  }

  /** Deletes one once its shortcut is typed (the confirmation works without JavaScript). */
  async destroy(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n, tenant } = ctx
    await bouncer.with('CannedResponsesPolicy').authorize('manage', access)
    const canned = await findCannedResponseOrFail(tenant, params.id)
    const typed = String(request.input('confirm') ?? '')
      .trim()
      .replace(/^\//, '')
      .toLowerCase()
    if (typed !== canned.shortcut) {
      const message = i18n.t('composer.canned.validation.confirm', { expected: canned.shortcut })
      session.flash('inputErrorsBag', { confirm: [message] })
      session.flash('error', message)
      return response.redirect(`${basePath(ctx)}/settings/canned-responses/${canned.id}#delete`)
    }
    await deleteCannedResponse(tenant, canned.id).catch((error) => {
      if (error instanceof ChannelError && error.code === 'not_found')
        throw new lucidErrors.E_ROW_NOT_FOUND()
      throw error
    })
    session.flash('success', i18n.t('composer.canned.flash.deleted', { shortcut: canned.shortcut }))
    return response.redirect(`${basePath(ctx)}/settings/canned-responses`)
  }

  /**
   * The composer's `/` menu: canned responses matching what follows the
   * slash, with the conversation's contact and the member filled in.
   */
  async search(ctx: HttpContext) {
    const { bouncer, request, view, access, tenant, auth } = ctx
    await bouncer.with('CannedResponsesPolicy').authorize('use', access)
    const typed = String(request.input('q') ?? request.input('text') ?? '')
    const conversationId = String(request.input('conversation') ?? '')
    const conversation = conversationId ? await findConversation(tenant, conversationId) : null
    if (conversationId && !conversation) throw new lucidErrors.E_ROW_NOT_FOUND()
    const contact = conversation
      ? await tenant.transaction((trx) =>
          Contact.query({ client: trx }).where('id', conversation.contactId).first()
        )
      : null
    const found = await searchCannedResponses(tenant, typed)
    const responses = found.map((canned) => ({
      id: canned.id,
      shortcut: canned.shortcut,
      title: canned.title,
      text: contact
        ? fillPlaceholders(canned.body, {
            contactName: contact.name || contact.profileName,
            contactPhone: contact.phone,
            agentName: auth.user!.name,
          })
        : canned.body,
    }))
    return view.render('inbox::canned_responses/search', {
      responses,
      typed: typed.replace(/^\//, ''),
      base: workspaceLayout(ctx, 'inbox').base,
    })
  }
}

function basePath(ctx: HttpContext) {
  return workspaceLayout(ctx, 'canned').base
}
