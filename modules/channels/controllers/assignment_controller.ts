import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import { errors } from '@adonisjs/core'
import { actorFromRequest } from '#modules/identity/index'
import { recordAudit, workspaceBase } from '#modules/tenancy/index'
import { findTenantChannel } from '../services/channel_service.js'

/**
 * Turns round-robin assignment of a channel's new conversations on or off
 * (owners and admins). A checkbox form: absent means off.
 */
export default class AssignmentController {
  async update(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n } = ctx
    await bouncer.with('ChannelsPolicy').authorize('manage', access)
    const channel = await findTenantChannel(access.tenantId, params.id)
    if (!channel) throw new errors.E_ROUTE_NOT_FOUND([request.method(), request.url()])

    const on = ['1', 'on', 'true'].includes(String(request.input('auto_assign') ?? ''))
    await db.transaction(async (trx) => {
      await trx.rawQuery(
        `update channels set settings = settings || ?::jsonb, updated_at = now() where id = ?`,
        [JSON.stringify({ autoAssign: on }), channel.id]
      )
      await recordAudit(
        actorFromRequest(ctx),
        {
          action: on ? 'channel.auto_assign_on' : 'channel.auto_assign_off',
          tenant: { id: ctx.tenantRecord.id, slug: ctx.tenantRecord.slug },
          subjectType: 'channel',
          subjectId: channel.id,
          metadata: { name: channel.name },
        },
        trx
      )
    })
    session.flash('success', i18n.t(on ? 'channels.assignment.on' : 'channels.assignment.off'))
    const base = workspaceBase(ctx.tenantRecord.slug, !!ctx.subdomains.tenant)
    return response.redirect(`${base}/channels/${channel.id}`)
  }
}
