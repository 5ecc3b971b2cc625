import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import User from '../models/user.js'
import { acceptInvitationValidator } from '../validators/invitation_validator.js'
import {
  InvitationError,
  acceptAsNewUser,
  acceptInvitation,
  findInvitation,
  type InvitationDetails,
} from '../services/invitation_service.js'
import { actorFromRequest, IMPERSONATOR_KEY } from '../services/impersonation_service.js'

type Audience = 'member' | 'other_account' | 'existing_account' | 'new_account'

/**
 * The page an invitation link opens, signed in or not. What it offers
 * depends on who is looking: the invited person signed in joins with one
 * button, someone with an account signs in first, someone new creates an
 * account, and a person signed in as someone else is told so.
 */
export default class InvitationsController {
  async show(ctx: HttpContext) {
    const invitation = await findInvitation(ctx.params.token)
    if (!invitation || invitation.state !== 'pending') return gone(ctx, invitation)
    return ctx.view.render('identity::pages/invitations/show', {
      ...(await pageData(ctx, invitation)),
    })
  }

  async accept(ctx: HttpContext) {
    const { params, request, response, session, auth, i18n } = ctx
    const invitation = await findInvitation(params.token)
    if (!invitation || invitation.state !== 'pending') return gone(ctx, invitation)
    const audience = await audienceFor(ctx, invitation)

    try {
      if (audience === 'member') {
        await acceptInvitation(params.token, auth.getUserOrFail(), actorFromRequest(ctx))
      } else if (audience === 'new_account') {
        const { name, password } = await request.validateUsing(acceptInvitationValidator)
        const { user } = await acceptAsNewUser(
          params.token,
          { name, password, locale: i18n.locale === 'ar' ? 'ar' : 'en' },
          actorFromRequest(ctx)
        )
        // login() renews the session id, as at sign-in.
        await auth.use('web').login(user)
        user.lastSignInAt = DateTime.now()
        await user.save()
      } else {
        // Someone else is signed in, or the account exists: the page says what to do.
        return response.redirect(`/invitations/${params.token}`)
      }
    } catch (error) {
      if (!(error instanceof InvitationError)) throw error
      if (error.code === 'gone') return gone(ctx, await findInvitation(params.token))
      return response.redirect(`/invitations/${params.token}`)
    }

    session.flash(
      'success',
      i18n.t('team.accept.joined', {
        workspace: invitation.tenant.name,
        role: i18n.t(`team.roles.${invitation.role}`),
      })
    )
    return response.redirect(`/t/${invitation.tenant.slug}`)
  }

  /**
   * Signed in as someone else: sign out and come straight back to the
   * invitation.
   */
  async switchAccount({ params, auth, session, response }: HttpContext) {
    session.forget(IMPERSONATOR_KEY)
    await auth.use('web').logout()
    return response.redirect(`/invitations/${params.token}`)
  }
}

async function audienceFor(ctx: HttpContext, invitation: InvitationDetails): Promise<Audience> {
  if (await ctx.auth.check()) {
    return ctx.auth.user!.email.toLowerCase() === invitation.email.toLowerCase()
      ? 'member'
      : 'other_account'
  }
  return (await User.findByEmail(invitation.email)) ? 'existing_account' : 'new_account'
}

async function pageData(ctx: HttpContext, invitation: InvitationDetails) {
  const base = `/t/${invitation.tenant.slug}`
  return {
    invitation,
    audience: await audienceFor(ctx, invitation),
    token: ctx.params.token,
    loginUrl: `/login?next=${encodeURIComponent(`/invitations/${ctx.params.token}`)}`,
    // The workspace's own colours on its invitation.
    brandName: invitation.tenant.name,
    brandingCss: `${base}/branding.css`,
    logoUrl: invitation.tenant.hasLogo ? `${base}/branding/logo` : null,
  }
}

/**
 * Used, revoked and expired links say so (410); a token that never existed
 * is a 404 with the same advice.
 */
async function gone(ctx: HttpContext, invitation: InvitationDetails | null) {
  ctx.response.status(invitation ? 410 : 404)
  return ctx.view.render('identity::pages/invitations/gone', {
    reason: invitation?.state ?? 'unknown',
    workspace: invitation?.tenant.name ?? null,
  })
}
