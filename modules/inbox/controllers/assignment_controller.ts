import type { HttpContext } from '@adonisjs/core/http'
import { actorFromRequest } from '#modules/identity/index'
import { workspaceBase } from '#modules/tenancy/index'
import { setChannelAssignment } from '#modules/channels/index'
import { channelAssignmentValidator } from '../validators/assignment_validator.js'

/**
 * Turns round-robin assignment of a channel's new conversations on or off
 * (owners and admins), and assign-on-reply where the form offers it.
 */
export default class AssignmentController {
  async update(ctx: HttpContext) {
    const { bouncer, request, response, session, access, params, i18n, tenantRecord } = ctx
    await bouncer.with('ChannelsPolicy').authorize('manage', access)
    const input = await request.validateUsing(channelAssignmentValidator)
    const autoAssign = input.auto_assign ?? false
    const channel = await setChannelAssignment(
      { id: tenantRecord.id, slug: tenantRecord.slug },
      params.id,
      {
        autoAssign,
        assignOnReply: input.assign_on_reply_shown ? (input.assign_on_reply ?? false) : undefined,
      },
      actorFromRequest(ctx)
    )
    session.flash(
      'success',
      i18n.t(autoAssign ? 'channels.assignment.on' : 'channels.assignment.off')
    )
    const base = workspaceBase(tenantRecord.slug, !!ctx.subdomains.tenant)
    return response.redirect(`${base}/channels/${channel.id}`)
  }
}
