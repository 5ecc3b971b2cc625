import type { HttpContext } from '@adonisjs/core/http'
import Membership from '../models/membership.js'
import { can } from '../policies/role_matrix.js'
import { availabilityValidator } from '../validators/team_validator.js'

/**
 * A member says whether they take new conversations now (online) or not
 * (busy, offline). Round-robin assignment reads it; viewers never reply, so
 * they have no availability to set.
 */
export default class AvailabilityController {
  async handle(ctx: HttpContext) {
    const { request, response, session, access, i18n } = ctx
    if (!can(access, 'inbox.reply')) {
      return response.forbidden(i18n.t('common.availability.forbidden'))
    }
    const { availability } = await request.validateUsing(availabilityValidator)
    await Membership.query()
      .where('tenant_id', access.tenantId)
      .where('user_id', access.userId)
      .update({ availability, updated_at: new Date() })
    session.flash('success', i18n.t(`common.availability.changed_${availability}`))
    return response.redirect().back()
  }
}
