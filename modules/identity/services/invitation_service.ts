import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import hash from '@adonisjs/core/services/hash'
import mail from '@adonisjs/mail/services/main'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'
import { recordAudit, type AuditActor } from '#modules/tenancy/index'
import { limitGuard, usageChanged } from '#modules/billing/index'
import User from '../models/user.js'
import Membership, { type Role } from '../models/membership.js'
import { hashLinkToken, newLinkToken } from './tokens.js'
import { translatorFor } from './translator.js'
import { TeamError, isUuid, openInvitations, type TenantRef } from './team_service.js'

export const INVITATION_LIFETIME_DAYS = 7

export interface InvitingTenant extends TenantRef {
  /** The name people see (the branded display name). */
  name: string
}

/**
 * Invites an e-mail address to a workspace with a role. An address that is
 * already a member is refused; inviting an address again replaces its open
 * invitation, so only the newest link works. A pending invitation holds a
 * seat: past the plan's seats it is refused (PlanLimitError), counted under
 * a lock on the tenant row so two invitations cannot take the last seat.
 * The e-mail is queued.
 */
export async function inviteMember(input: {
  tenant: InvitingTenant
  inviter: User
  email: string
  role: Role
  actor: AuditActor
}) {
  const email = input.email.trim().toLowerCase()
  const { token, hash: tokenHash } = newLinkToken()
  const seats = await limitGuard(input.tenant.id, 'seats')
  const replaced = await db.transaction(async (trx) => {
    await trx.rawQuery('select id from tenants where id = ? for update', [input.tenant.id])
    const member = await trx
      .from('memberships')
      .join('users', 'users.id', 'memberships.user_id')
      .where('memberships.tenant_id', input.tenant.id)
      .whereRaw('lower(users.email) = ?', [email])
      .first()
    if (member) throw new TeamError('already_member')

    const superseded = await openInvitations(input.tenant.id, trx)
      .whereRaw('lower(email) = ?', [email])
      .update({ revoked_at: new Date() })
    // After the replaced invitation let its seat go: re-inviting needs none.
    await seats.ensure({ client: trx })
    const [row] = await trx
      .table('invitations')
      .insert({
        tenant_id: input.tenant.id,
        email,
        role: input.role,
        token_hash: tokenHash,
        invited_by_id: input.inviter.id,
        expires_at: expiry().toJSDate(),
      })
      .returning('id')
    await recordAudit(
      input.actor,
      {
        action: 'member.invited',
        tenant: input.tenant,
        subjectType: 'invitation',
        subjectId: row.id,
        metadata: { email, role: input.role, replaced: Number(superseded) },
      },
      trx
    )
    return Number(superseded)
  })
  await sendInvitationMail(input.tenant, input.inviter, email, input.role, token)
  await usageChanged(input.tenant.id, 'seats')
  return { replaced }
}

/**
 * Mails an open invitation again with a fresh link (only hashes are kept,
 * so the old link cannot be re-sent) and a fresh seven days.
 */
export async function resendInvitation(input: {
  tenant: InvitingTenant
  invitationId: string
  sender: User
  actor: AuditActor
}) {
  const { token, hash: tokenHash } = newLinkToken()
  const seats = await limitGuard(input.tenant.id, 'seats')
  const invitation = await db.transaction(async (trx) => {
    await trx.rawQuery('select id from tenants where id = ? for update', [input.tenant.id])
    const row = await lockOpenInvitation(trx, input.tenant.id, input.invitationId)
    // An expired invitation held no seat; sending it again takes one.
    if (new Date(row.expires_at) <= new Date()) await seats.ensure({ client: trx })
    await trx.from('invitations').where('id', row.id).update({
      token_hash: tokenHash,
      expires_at: expiry().toJSDate(),
      invited_by_id: input.sender.id,
    })
    await recordAudit(
      input.actor,
      {
        action: 'invitation.resent',
        tenant: input.tenant,
        subjectType: 'invitation',
        subjectId: row.id,
        metadata: { email: row.email, role: row.role },
      },
      trx
    )
    return row
  })
  await sendInvitationMail(input.tenant, input.sender, invitation.email, invitation.role, token)
  return invitation as { email: string; role: Role }
}

export async function revokeInvitation(input: {
  tenant: TenantRef
  invitationId: string
  actor: AuditActor
}) {
  return db.transaction(async (trx) => {
    const row = await lockOpenInvitation(trx, input.tenant.id, input.invitationId)
    await trx.from('invitations').where('id', row.id).update({ revoked_at: new Date() })
    await recordAudit(
      input.actor,
      {
        action: 'invitation.revoked',
        tenant: input.tenant,
        subjectType: 'invitation',
        subjectId: row.id,
        metadata: { email: row.email, role: row.role },
      },
      trx
    )
    return row as { email: string; role: Role }
  })
}

async function lockOpenInvitation(
  trx: TransactionClientContract,
  tenantId: string,
  invitationId: string
) {
  const row = isUuid(invitationId)
    ? await openInvitations(tenantId, trx).where('id', invitationId).forUpdate().first()
    : null
  if (!row) throw new TeamError('invitation_not_found')
  return row
}

function expiry() {
  return DateTime.now().plus({ days: INVITATION_LIFETIME_DAYS })
}

/**
 * The invitee has no language yet: the mail speaks the inviter's.
 */
async function sendInvitationMail(
  tenant: InvitingTenant,
  inviter: User,
  email: string,
  role: Role,
  token: string
) {
  const t = translatorFor(inviter.locale)
  const link = `${env.get('APP_URL', 'http://localhost:3333')}/invitations/${token}`
  const data = {
    link,
    locale: inviter.locale,
    text: {
      greeting: t('team.invite_mail.greeting'),
      body: t('team.invite_mail.body', {
        inviter: inviter.name || inviter.email,
        workspace: tenant.name,
        role: t(`team.roles.${role}`),
      }),
      action: t('team.invite_mail.action'),
      expiry: t('team.invite_mail.expiry', { days: INVITATION_LIFETIME_DAYS }),
      ignore: t('team.invite_mail.ignore'),
    },
  }
  await mail.sendLater((message) => {
    message
      .to(email)
      .subject(t('team.invite_mail.subject', { workspace: tenant.name }))
      .htmlView('identity::emails/invitation', data)
      .textView('identity::emails/invitation_text', data)
  })
}

/* ---------------------------------------------------------------------------
 * Accepting.
 * ------------------------------------------------------------------------- */

export type InvitationState = 'pending' | 'expired' | 'accepted' | 'revoked'

export interface InvitationDetails {
  id: string
  email: string
  role: Role
  state: InvitationState
  tenant: { id: string; slug: string; name: string; hasLogo: boolean }
  inviterName: string | null
  expiresAt: DateTime
}

/**
 * What a link opens, or null for a token that never existed. A workspace
 * that is no longer active makes its invitations unusable (revoked).
 */
export async function findInvitation(token: string): Promise<InvitationDetails | null> {
  const row = await invitationQuery(db)
    .where('invitations.token_hash', hashLinkToken(token))
    .first()
  return row ? toDetails(row) : null
}

function invitationQuery(client: typeof db | TransactionClientContract) {
  return client
    .from('invitations')
    .join('tenants', 'tenants.id', 'invitations.tenant_id')
    .leftJoin('users', 'users.id', 'invitations.invited_by_id')
    .select(
      'invitations.*',
      'tenants.slug as tenant_slug',
      'tenants.name as tenant_name',
      'tenants.display_name as tenant_display_name',
      'tenants.status as tenant_status',
      'tenants.logo_mime as tenant_logo_mime',
      'users.name as inviter_name'
    )
}

function toDetails(row: Record<string, any>): InvitationDetails {
  const expiresAt = DateTime.fromJSDate(new Date(row.expires_at))
  let state: InvitationState = 'pending'
  if (row.accepted_at) state = 'accepted'
  else if (row.revoked_at || row.tenant_status !== 'active') state = 'revoked'
  else if (expiresAt <= DateTime.now()) state = 'expired'
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    state,
    tenant: {
      id: row.tenant_id,
      slug: row.tenant_slug,
      name: row.tenant_display_name || row.tenant_name,
      hasLogo: !!row.tenant_logo_mime,
    },
    inviterName: row.inviter_name ?? null,
    expiresAt,
  }
}

export class InvitationError extends Error {
  constructor(readonly code: 'gone' | 'wrong_account' | 'account_exists') {
    super(code)
  }
}

/**
 * Spends a pending invitation under a row lock, so a link works once even
 * when clicked twice at the same moment.
 */
async function lockPending(trx: TransactionClientContract, token: string) {
  const row = await invitationQuery(trx)
    .where('invitations.token_hash', hashLinkToken(token))
    .forUpdate('invitations')
    .first()
  const details = row ? toDetails(row) : null
  if (!details || details.state !== 'pending') throw new InvitationError('gone')
  return details
}

async function join(
  trx: TransactionClientContract,
  invitation: InvitationDetails,
  user: User,
  actor: AuditActor,
  newAccount = false
) {
  // Someone already in the workspace keeps the role they have.
  const existing = await Membership.query({ client: trx })
    .where('tenant_id', invitation.tenant.id)
    .where('user_id', user.id)
    .first()
  const membership =
    existing ??
    (await Membership.create(
      { tenantId: invitation.tenant.id, userId: user.id, role: invitation.role },
      { client: trx }
    ))
  await trx.from('invitations').where('id', invitation.id).update({ accepted_at: new Date() })
  await recordAudit(
    actor,
    {
      action: 'member.joined',
      tenant: invitation.tenant,
      subjectType: 'membership',
      subjectId: membership.id,
      metadata: {
        userId: user.id,
        email: user.email,
        role: membership.role,
        invitationId: invitation.id,
        newAccount,
      },
    },
    trx
  )
  return membership
}

/**
 * A signed-in person joins with the invitation sent to their address.
 */
export async function acceptInvitation(token: string, user: User, actor: AuditActor) {
  return db.transaction(async (trx) => {
    const invitation = await lockPending(trx, token)
    if (invitation.email.toLowerCase() !== user.email.toLowerCase()) {
      throw new InvitationError('wrong_account')
    }
    await join(trx, invitation, user, actor)
    return invitation
  })
}

/**
 * Someone new: their account and their membership are made together, or
 * not at all.
 */
export async function acceptAsNewUser(
  token: string,
  account: { name: string; password: string; locale: 'en' | 'ar'; timezone?: string },
  actor: AuditActor
) {
  const passwordHash = await hash.make(account.password)
  return db.transaction(async (trx) => {
    const invitation = await lockPending(trx, token)
    const taken = await User.query({ client: trx })
      .whereRaw('lower(email) = ?', [invitation.email.toLowerCase()])
      .first()
    if (taken) throw new InvitationError('account_exists')
    const user = new User()
    user.fill({
      email: invitation.email.toLowerCase(),
      name: account.name.trim(),
      password: passwordHash,
      locale: account.locale,
      timezone: account.timezone ?? 'UTC',
      isSuperAdmin: false,
    })
    user.lastTenantId = invitation.tenant.id
    user.useTransaction(trx)
    await user.save()
    await join(trx, invitation, user, { ...actor, userId: user.id, label: user.email }, true)
    return { user, invitation }
  })
}
