import type { HttpContext } from '@adonisjs/core/http'
import hash from '@adonisjs/core/services/hash'
import { profileValidator, timezoneChoices } from '../validators/profile_validator.js'
import { changePasswordValidator } from '../validators/password_validator.js'
import { workspacesOf } from '../services/home_path.js'
import { translatorFor } from '../services/translator.js'
import { changePassword } from '../services/password_reset_service.js'

export default class ProfileController {
  async show({ view, auth }: HttpContext) {
    const user = auth.getUserOrFail()
    return view.render('identity::pages/profile', {
      user,
      timezones: timezoneChoices,
      memberships: await workspacesOf(user),
    })
  }

  async update({ request, response, session, auth }: HttpContext) {
    const user = auth.getUserOrFail()
    const data = await request.validateUsing(profileValidator)
    user.merge(data)
    await user.save()
    // Said in the language just chosen.
    session.flash('success', translatorFor(data.locale)('account.profile.saved'))
    return response.redirect('/account/profile')
  }

  /**
   * A new password ends every other session of this person, here and on
   * other devices; this one stays signed in.
   */
  async updatePassword({ request, response, session, auth, i18n }: HttpContext) {
    const user = auth.getUserOrFail()
    const { current_password: current, password } =
      await request.validateUsing(changePasswordValidator)
    if (!(await hash.verify(user.password, current))) {
      session.flash('inputErrorsBag', { current_password: [i18n.t('account.password.wrong')] })
      return response.redirect('/account/profile#password')
    }
    await changePassword(user, password, session.sessionId)
    session.flash('success', i18n.t('account.password.changed'))
    return response.redirect('/account/profile')
  }

  /** The workspace switcher: only to a workspace the person belongs to. */
  async switchWorkspace({ request, response, auth }: HttpContext) {
    const to = String(request.input('to', ''))
    const workspaces = await workspacesOf(auth.getUserOrFail())
    const target = workspaces.find((w) => w.slug === to)
    return response.redirect(target ? `/t/${target.slug}` : '/account/profile')
  }
}
