import emitter from '@adonisjs/core/services/emitter'
import { registerUsageMeter } from '#modules/billing/index'
import { seatsInUse } from './services/team_service.js'

/**
 * Every session that signs someone in is tagged with their id, so a password
 * change or reset can end all of that person's sessions at once. Covers the
 * sign-in form, invitations, impersonation and remember-me re-entry alike.
 */
export function registerIdentityListeners() {
  // Billing counts seats (members and usable invitations) through identity.
  registerUsageMeter('seats', seatsInUse)
  emitter.on('session_auth:login_succeeded', async ({ ctx, user }) => {
    await ctx.session.tag(String(user.id))
  })
  emitter.on('session_auth:authentication_succeeded', async ({ ctx, user, rememberMeToken }) => {
    if (rememberMeToken) await ctx.session.tag(String(user.id))
  })
}
