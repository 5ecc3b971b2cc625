import type { HttpContext } from '@adonisjs/core/http'
import { recordAudit, type AuditActor } from '#modules/tenancy/index'
import User from '../models/user.js'

/** Session key holding the super admin's id while they act as someone else. */
export const IMPERSONATOR_KEY = 'impersonator_id'

export function actorFromRequest(ctx: HttpContext): AuditActor {
  const user = ctx.auth.user
  const impersonator = ctx.session?.get(IMPERSONATOR_KEY)
  return {
    userId: impersonator ?? user?.id ?? null,
    label: user ? (impersonator ? `impersonating ${user.email}` : user.email) : 'anonymous',
    source: ctx.request.ip(),
    userAgent: ctx.request.header('user-agent') ?? null,
  }
}

/**
 * A super admin signs in as a tenant user to see what they see. The session
 * remembers who they really are; every start and stop is audit-logged.
 */
export async function startImpersonation(
  ctx: HttpContext,
  target: User,
  tenant?: { id: string; slug: string }
) {
  const admin = ctx.auth.getUserOrFail()
  await ctx.bouncer.with('PlatformPolicy').authorize('impersonate', target)
  await recordAudit(actorFromRequest(ctx), {
    action: 'user.impersonation_started',
    tenant: tenant ?? null,
    subjectType: 'user',
    subjectId: target.id,
    metadata: { target: target.email },
  })
  await ctx.auth.use('web').login(target)
  ctx.session.put(IMPERSONATOR_KEY, admin.id)
}

export async function stopImpersonation(ctx: HttpContext): Promise<User | null> {
  const adminId = ctx.session.get(IMPERSONATOR_KEY)
  if (!adminId) return null
  const admin = await User.find(adminId)
  const target = ctx.auth.user
  await recordAudit(actorFromRequest(ctx), {
    action: 'user.impersonation_stopped',
    subjectType: 'user',
    subjectId: target?.id,
    metadata: { target: target?.email },
  })
  ctx.session.forget(IMPERSONATOR_KEY)
  if (!admin?.isSuperAdmin) {
    await ctx.auth.use('web').logout()
    return null
  }
  await ctx.auth.use('web').login(admin)
  return admin
}
