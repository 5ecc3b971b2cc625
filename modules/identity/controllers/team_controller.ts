import type { HttpContext } from '@adonisjs/core/http'
import { workspaceLayout } from '#modules/tenancy/index'
import { PlanLimitError, planLimitMessage } from '#modules/billing/index'
import { changeRoleValidator, inviteMemberValidator, ROLES } from '../validators/team_validator.js'
import {
  TeamError,
  changeMemberRole,
  findMembership,
  listTeam,
  removeMember,
} from '../services/team_service.js'
import {
  INVITATION_LIFETIME_DAYS,
  inviteMember,
  resendInvitation,
  revokeInvitation,
} from '../services/invitation_service.js'
import { actorFromRequest } from '../services/impersonation_service.js'
import { can, canAssignRole, canManageMember } from '../policies/role_matrix.js'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { MemberPhoneError, setMemberPhone } from '../services/member_phones.js'

/**
 * The team page of a workspace: members, pending invitations, and the
 * changes owners and admins make to them.
 */
export default class TeamController {
  async index(ctx: HttpContext) {
    const { bouncer, view, access, i18n } = ctx
    await bouncer.with('WorkspacePolicy').authorize('viewTeam', access)
    const team = await listTeam(access.tenantId)
    const members = team.members.map((member) => ({
      ...member,
      isSelf: member.userId === access.userId,
      manageable: canManageMember(access, member),
      phoneEditable: member.userId === access.userId || canManageMember(access, member),
      phoneField: `phone_${member.id.replace(/-/g, '')}`,
      confirmField: confirmFieldFor(member.id),
    }))
    const roleChoices = ROLES.filter((role) => canAssignRole(access, role)).map((role) => ({
      value: role,
      label: i18n.t(`team.roles.${role}`),
    }))
    return view.render('identity::pages/team/index', {
      ...workspaceLayout(ctx, 'team'),
      members,
      invitations: team.invitations,
      canInvite: can(access, 'team.invite'),
      roleChoices,
      lifetimeDays: INVITATION_LIFETIME_DAYS,
    })
  }

  async invite(ctx: HttpContext) {
    const { bouncer, request, response, session, access, auth, i18n } = ctx
    await bouncer.with('WorkspacePolicy').authorize('invite', access)
    const { email, role } = await request.validateUsing(inviteMemberValidator)
    await bouncer.with('WorkspacePolicy').authorize('inviteAs', access, role)
    try {
      const { replaced } = await inviteMember({
        tenant: tenantOf(ctx),
        inviter: auth.getUserOrFail(),
        email,
        role,
        actor: actorFromRequest(ctx),
      })
      session.flash(
        'success',
        i18n.t(replaced ? 'team.flash.reinvited' : 'team.flash.invited', { email })
      )
    } catch (error) {
      if (error instanceof PlanLimitError) {
        session.flashAll()
        session.flash('inputErrorsBag', { email: [planLimitMessage(error, i18n.t.bind(i18n))] })
        return response.redirect(teamPath(ctx))
      }
      if (!(error instanceof TeamError) || error.code !== 'already_member') throw error
      session.flashAll()
      session.flash('inputErrorsBag', { email: [i18n.t('team.errors.already_member', { email })] })
    }
    return response.redirect(teamPath(ctx))
  }

  async resend(ctx: HttpContext) {
    const { bouncer, response, session, access, auth, params, i18n } = ctx
    await bouncer.with('WorkspacePolicy').authorize('manageInvitations', access)
    let invitation
    try {
      invitation = await orNotFound(() =>
        resendInvitation({
          tenant: tenantOf(ctx),
          invitationId: params.id,
          sender: auth.getUserOrFail(),
          actor: actorFromRequest(ctx),
        })
      )
    } catch (error) {
      if (!(error instanceof PlanLimitError)) throw error
      session.flash('error', planLimitMessage(error, i18n.t.bind(i18n)))
      return response.redirect(teamPath(ctx))
    }
    session.flash('success', i18n.t('team.flash.resent', { email: invitation.email }))
    return response.redirect(teamPath(ctx))
  }

  async revoke(ctx: HttpContext) {
    const { bouncer, response, session, access, params, i18n } = ctx
    await bouncer.with('WorkspacePolicy').authorize('manageInvitations', access)
    const invitation = await orNotFound(() =>
      revokeInvitation({
        tenant: tenantOf(ctx),
        invitationId: params.id,
        actor: actorFromRequest(ctx),
      })
    )
    session.flash('success', i18n.t('team.flash.revoked', { email: invitation.email }))
    return response.redirect(teamPath(ctx))
  }

  async changeRole(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n } = ctx
    const member = await findMembership(access.tenantId, params.id)
    if (!member) throw new lucidErrors.E_ROW_NOT_FOUND()
    const { role } = await request.validateUsing(changeRoleValidator)
    await bouncer.with('WorkspacePolicy').authorize('changeRole', access, member, role)
    await member.load('user')
    try {
      await changeMemberRole({
        tenant: tenantOf(ctx),
        membershipId: member.id,
        role,
        actorUserId: access.userId,
        actor: actorFromRequest(ctx),
      })
      session.flash(
        'success',
        i18n.t('team.flash.role_changed', {
          name: member.user.name || member.user.email,
          role: i18n.t(`team.roles.${role}`),
        })
      )
    } catch (error) {
      session.flash('error', teamErrorMessage(ctx, error))
    }
    return response.redirect(teamPath(ctx))
  }

  /**
   * Removes a member, or lets the signed-in member leave. Either way the
   * person's e-mail must be typed to confirm.
   */
  async remove(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n } = ctx
    const member = await findMembership(access.tenantId, params.id)
    if (!member) throw new lucidErrors.E_ROW_NOT_FOUND()
    await bouncer.with('WorkspacePolicy').authorize('removeMember', access, member)
    await member.load('user')
    // Each row's confirmation has its own field, so the page's ids stay unique.
    const field = confirmFieldFor(member.id)
    const typed = String(request.input(field) ?? '').trim()
    if (typed.toLowerCase() !== member.user.email.toLowerCase()) {
      const message = i18n.t('team.errors.confirm_mismatch', { email: member.user.email })
      session.flash('inputErrorsBag', { [field]: [message] })
      session.flash('error', message)
      return response.redirect(teamPath(ctx))
    }
    try {
      const { left } = await removeMember({
        tenant: tenantOf(ctx),
        membershipId: member.id,
        actorUserId: access.userId,
        actor: actorFromRequest(ctx),
      })
      if (left) {
        session.flash(
          'success',
          i18n.t('team.flash.left', { workspace: ctx.tenantRecord.brandName })
        )
        return response.redirect('/')
      }
      session.flash('success', i18n.t('team.flash.removed', { email: member.user.email }))
    } catch (error) {
      session.flash('error', teamErrorMessage(ctx, error))
    }
    return response.redirect(teamPath(ctx))
  }
  /**
   * A member's own WhatsApp number: their messages to the business number
   * search the workspace's data instead of opening a customer conversation.
   */
  async phone(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n } = ctx
    const member = await findMembership(access.tenantId, params.id)
    if (!member) throw new lucidErrors.E_ROW_NOT_FOUND()
    await bouncer.with('WorkspacePolicy').authorize('setMemberPhone', access, member)
    // Each row's number has its own field, so the page's ids stay unique.
    const field = `phone_${member.id.replace(/-/g, '')}`
    try {
      const phone = await setMemberPhone(access.tenantId, member.id, request.input(field))
      session.flash('success', i18n.t(phone ? 'team.flash.phone_set' : 'team.flash.phone_cleared'))
    } catch (error) {
      if (!(error instanceof MemberPhoneError)) throw error
      session.flashExcept(['_csrf'])
      session.flash('inputErrorsBag', { [field]: [i18n.t(`team.errors.phone_${error.code}`)] })
    }
    return response.redirect(teamPath(ctx))
  }
}

export function confirmFieldFor(membershipId: string) {
  return `confirm_${membershipId}`
}

function tenantOf(ctx: HttpContext) {
  const tenant = ctx.tenantRecord
  return { id: tenant.id, slug: tenant.slug, name: tenant.brandName }
}

function teamPath(ctx: HttpContext) {
  return `${workspaceLayout(ctx, 'team').base}/team`
}

/** Ids that are not this workspace's are answered like unknown pages. */
async function orNotFound<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof TeamError && error.code === 'invitation_not_found')
      throw new lucidErrors.E_ROW_NOT_FOUND()
    throw error
  }
}

function teamErrorMessage(ctx: HttpContext, error: unknown) {
  if (!(error instanceof TeamError)) throw error
  if (error.code === 'not_found') throw new lucidErrors.E_ROW_NOT_FOUND()
  if (error.code === 'forbidden') return ctx.i18n.t('common.not_allowed')
  return ctx.i18n.t(`team.errors.${error.code}`)
}
