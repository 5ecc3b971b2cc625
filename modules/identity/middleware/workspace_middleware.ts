import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { errors } from '@adonisjs/core'
import { workspaceBase } from '#modules/tenancy/index'
import Membership from '../models/membership.js'
import type { WorkspaceAccess } from '../policies/role_matrix.js'
import { IMPERSONATOR_KEY } from '../services/impersonation_service.js'

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /** The signed-in member's role in the addressed workspace. */
    access: WorkspaceAccess
  }
}

/**
 * A workspace is open to its members only. Runs after tenant resolution and
 * `auth`. Anyone else, a member of another tenant or platform staff who is
 * not impersonating, gets the same 404 as a workspace that does not exist:
 * a workspace's pages do not confirm that it exists to outsiders.
 */
export default class WorkspaceMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const user = ctx.auth.getUserOrFail()
    const membership = await Membership.query()
      .where('tenant_id', ctx.tenantRecord.id)
      .where('user_id', user.id)
      .first()
    if (!membership) throw new errors.E_ROUTE_NOT_FOUND([ctx.request.method(), ctx.request.url()])

    ctx.access = {
      tenantId: ctx.tenantRecord.id,
      tenantSlug: ctx.tenantRecord.slug,
      userId: user.id,
      role: membership.role,
      availability: membership.availability,
      impersonatorId: ctx.session.get(IMPERSONATOR_KEY) ?? null,
    }
    if (user.lastTenantId !== ctx.tenantRecord.id) {
      user.lastTenantId = ctx.tenantRecord.id
      await user.save()
    }
    ctx.view.share({
      access: ctx.access,
      tenant: ctx.tenantRecord,
      workspaceBase: workspaceBase(ctx.tenantRecord.slug, !!ctx.subdomains.tenant),
    })
    return next()
  }
}
