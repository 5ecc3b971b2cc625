import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'
import { errors } from '@adonisjs/core'
import { actorFromRequest } from '#modules/identity/index'
import { recordAudit, workspaceBase } from '#modules/tenancy/index'
import { findTenantChannel } from '#modules/channels/index'

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

    const checked = (name: string) =>
      ['1', 'on', 'true'].includes(String(request.input(name) ?? ''))
    const on = checked('auto_assign')
    const changes: Record<string, boolean> = { autoAssign: on }
    if (request.input('assign_on_reply_shown')) changes.assignOnReply = checked('assign_on_reply')
    await db.transaction(async (trx) => {
      await trx.rawQuery(
        `update channels set settings = settings || ?::jsonb, updated_at = now() where id = ?`,
        [JSON.stringify(changes), channel.id]
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
