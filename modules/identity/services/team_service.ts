import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { recordAudit, type AuditActor } from '#modules/tenancy/index'
import Membership, { type Role } from '../models/membership.js'

/**
 * Why a team change was refused. Controllers turn the code into a message
 * (or a 404/403) in the person's language.
 */
export class TeamError extends Error {
  constructor(
    readonly code:
      'not_found' | 'forbidden' | 'last_owner' | 'already_member' | 'invitation_not_found'
  ) {
    super(code)
  }
}

export interface TenantRef {
  id: string
  slug: string
}

export interface TeamMember {
  id: string
  userId: string
  name: string
  email: string
  role: Role
  /** Their own WhatsApp number (wa_id digits), for searching the workspace's data by message. */
  whatsappPhone: string | null
  joinedAt: DateTime
}

export interface PendingInvitation {
  id: string
  email: string
  role: Role
  invitedBy: string | null
  expiresAt: DateTime
  expired: boolean
}

/**
 * Invitations not yet accepted or revoked, expired ones included (they can
 * be resent).
 */
export function openInvitations(tenantId: string, client?: TransactionClientContract) {
  return (client ?? db)
    .from('invitations')
    .where('invitations.tenant_id', tenantId)
    .whereNull('invitations.accepted_at')
    .whereNull('invitations.revoked_at')
}

export async function listTeam(tenantId: string) {
  const members = await db
    .from('memberships')
    .join('users', 'users.id', 'memberships.user_id')
    .where('memberships.tenant_id', tenantId)
    .orderByRaw(
      `case memberships.role when 'owner' then 0 when 'admin' then 1 when 'agent' then 2 else 3 end`
    )
    .orderBy('users.name')
    .select(
      'memberships.id',
      'memberships.user_id',
      'memberships.role',
      'memberships.created_at',
      'memberships.whatsapp_phone',
      'users.name',
      'users.email'
    )
  const invitations = await openInvitations(tenantId)
    .leftJoin('users', 'users.id', 'invitations.invited_by_id')
    .orderBy('invitations.created_at', 'desc')
    .select(
      'invitations.id',
      'invitations.email',
      'invitations.role',
      'invitations.expires_at',
      'users.name as invited_by'
    )
  const now = DateTime.now()
  return {
    members: members.map((row): TeamMember => ({
      id: row.id,
      userId: row.user_id,
      name: row.name,
      email: row.email,
      role: row.role,
      whatsappPhone: row.whatsapp_phone ?? null,
      joinedAt: DateTime.fromJSDate(new Date(row.created_at)),
    })),
    invitations: invitations.map((row): PendingInvitation => {
      const expiresAt = DateTime.fromJSDate(new Date(row.expires_at))
      return {
        id: row.id,
        email: row.email,
        role: row.role,
        invitedBy: row.invited_by ?? null,
        expiresAt,
        expired: expiresAt <= now,
      }
    }),
  }
}

/**
 * Members and still-usable invitations, for the dashboard.
 */
export async function teamCounts(tenantId: string) {
  const [members, invitations] = await Promise.all([
    db.from('memberships').where('tenant_id', tenantId).count('* as total').first(),
    openInvitations(tenantId)
      .where('invitations.expires_at', '>', new Date())
      .count('* as total')
      .first(),
  ])
  return {
    members: Number(members?.total ?? 0),
    pendingInvitations: Number(invitations?.total ?? 0),
  }
}

/**
 * Seats in use: members plus invitations still usable (an expired one holds
 * no seat). Billing's seat meter; `client` counts under the caller's lock.
 */
export async function seatsInUse(tenantId: string, client?: TransactionClientContract) {
  const [members, invitations] = await Promise.all([
    (client ?? db).from('memberships').where('tenant_id', tenantId).count('* as total').first(),
    openInvitations(tenantId, client)
      .where('invitations.expires_at', '>', new Date())
      .count('* as total')
      .first(),
  ])
  return Number(members?.total ?? 0) + Number(invitations?.total ?? 0)
}

/** The owners of a workspace, for mail about the workspace itself (plan limits). */
export async function ownersOf(
  tenantId: string
): Promise<Array<{ email: string; locale: string }>> {
  const rows = await db
    .from('memberships')
    .join('users', 'users.id', 'memberships.user_id')
    .where('memberships.tenant_id', tenantId)
    .where('memberships.role', 'owner')
    .select('users.email', 'users.locale')
    .orderBy('users.email')
  return rows.map((row) => ({ email: row.email, locale: row.locale ?? 'en' }))
}

/**
 * A membership of this tenant, or null: ids of another tenant's members are
 * simply not found here.
 */
export function findMembership(tenantId: string, membershipId: string) {
  if (!isUuid(membershipId)) return Promise.resolve(null)
  return Membership.query().where('tenant_id', tenantId).where('id', membershipId).first()
}

export function isUuid(value: string) {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)
}

interface TeamChange {
  tenant: TenantRef
  membershipId: string
  /** The person making the change; their role is re-read under the lock. */
  actorUserId: string
  actor: AuditActor
}

/**
 * Gives a member another role. Only owners touch ownership; the last owner
 * can never be demoted. Runs under a lock on the tenant row, so two
 * requests at once (two owners demoting each other) are decided one after
 * the other, each seeing the other's result.
 */
export async function changeMemberRole(change: TeamChange & { role: Role }) {
  return db.transaction(async (trx) => {
    const { member, actorRole } = await lockForChange(trx, change)
    const touchesOwnership = member.role === 'owner' || change.role === 'owner'
    if (!['owner', 'admin'].includes(actorRole)) throw new TeamError('forbidden')
    if (touchesOwnership && actorRole !== 'owner') throw new TeamError('forbidden')
    if (member.role === change.role) return member
    if (member.role === 'owner' && (await ownerCount(trx, change.tenant.id)) <= 1) {
      throw new TeamError('last_owner')
    }
    const from = member.role
    member.useTransaction(trx)
    member.role = change.role
    await member.save()
    await recordAudit(
      change.actor,
      {
        action: 'member.role_changed',
        tenant: change.tenant,
        subjectType: 'membership',
        subjectId: member.id,
        metadata: { userId: member.userId, email: member.user?.email, from, to: change.role },
      },
      trx
    )
    return member
  })
}

/**
 * Takes someone out of the workspace, or lets a member leave. The last
 * owner can do neither.
 */
export async function removeMember(change: TeamChange) {
  return db.transaction(async (trx) => {
    const { member, actorRole } = await lockForChange(trx, change)
    const leaving = member.userId === change.actorUserId
    if (!leaving) {
      if (!['owner', 'admin'].includes(actorRole)) throw new TeamError('forbidden')
      if (member.role === 'owner' && actorRole !== 'owner') throw new TeamError('forbidden')
    }
    if (member.role === 'owner' && (await ownerCount(trx, change.tenant.id)) <= 1) {
      throw new TeamError('last_owner')
    }
    await member.useTransaction(trx).delete()
    await recordAudit(
      change.actor,
      {
        action: 'member.removed',
        tenant: change.tenant,
        subjectType: 'membership',
        subjectId: member.id,
        metadata: {
          userId: member.userId,
          email: member.user?.email,
          role: member.role,
          left: leaving,
        },
      },
      trx
    )
    return { member, left: leaving }
  })
}

async function lockForChange(trx: TransactionClientContract, change: TeamChange) {
  await trx.from('tenants').where('id', change.tenant.id).forUpdate().select('id')
  const member = isUuid(change.membershipId)
    ? await Membership.query({ client: trx })
        .where('tenant_id', change.tenant.id)
        .where('id', change.membershipId)
        .preload('user')
        .first()
    : null
  if (!member) throw new TeamError('not_found')
  const actorMembership = await Membership.query({ client: trx })
    .where('tenant_id', change.tenant.id)
    .where('user_id', change.actorUserId)
    .first()
  if (!actorMembership) throw new TeamError('forbidden')
  return { member, actorRole: actorMembership.role }
}

async function ownerCount(trx: TransactionClientContract, tenantId: string) {
  const row = await trx
    .from('memberships')
    .where('tenant_id', tenantId)
    .where('role', 'owner')
    .count('* as total')
    .first()
  return Number(row?.total ?? 0)
}
