import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { SequenceError, enrollContact, unenrollContact } from '../services/sequence_service.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Enrolling by hand from the inbox thread's sequence panel (and removing):
 * plain forms that come back to the conversation with what happened.
 */
export default class SequenceEnrollmentsController {
  async store(ctx: HttpContext) {
    return change(ctx, 'enrolled', (tenant, sequenceId, contactId) =>
      enrollContact(tenant, sequenceId, contactId, 'manual')
    )
  }

  async destroy(ctx: HttpContext) {
    return change(ctx, 'removed', (tenant, sequenceId, contactId) =>
      unenrollContact(tenant, sequenceId, contactId)
    )
  }
}

async function change(
  ctx: HttpContext,
  what: 'enrolled' | 'removed',
  work: (tenant: HttpContext['tenant'], sequenceId: string, contactId: string) => Promise<unknown>
) {
  const { bouncer, access, tenant, request, session, i18n, response } = ctx
  await bouncer.with('CampaignsPolicy').authorize('manage', access)
  const base = workspaceLayout(ctx, 'inbox').base
  const conversationId = String(request.input('conversation_id', ''))
  const back = UUID.test(conversationId) ? `${base}/inbox/${conversationId}` : `${base}/inbox`
  const sequenceId = String(request.input('sequence_id', ''))
  const contactId = String(request.input('contact_id', ''))
  if (!UUID.test(sequenceId) || !UUID.test(contactId)) {
    session.flash('error', i18n.t('pulse.sequences.flash.choose'))
    return response.redirect(back)
  }
  try {
    const done = await work(tenant, sequenceId, contactId)
    session.flash(
      done ? 'success' : 'error',
      i18n.t(`pulse.sequences.flash.${done ? what : 'not_in'}`)
    )
  } catch (error) {
    if (error instanceof SequenceError) {
      session.flash('error', error.message)
    } else if ((error as { code?: string })?.code === 'E_ROW_NOT_FOUND') {
      session.flash('error', i18n.t('pulse.sequences.flash.choose'))
    } else throw error
  }
  return response.redirect(back)
}
