import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import { signInValidator } from '../validators/session_validator.js'
import { RETURNING_KEY, signIn } from '../services/sign_in_service.js'
import { homePathFor, safeNextPath } from '../services/home_path.js'
import { IMPERSONATOR_KEY } from '../services/impersonation_service.js'

export default class SessionController {
  async create({ view, request }: HttpContext) {
    return view.render('identity::pages/login', { next: safeNextPath(request.input('next')) })
  }

  /**
   * One message for an unknown e-mail and a wrong password, so the form
   * never tells whether an address has an account.
   */
  async store({ request, response, session, auth, i18n }: HttpContext) {
    const { email, password, remember, next } = await request.validateUsing(signInValidator)
    const result = await signIn(email, password, request.ip())
    if (!result.ok) {
      const message =
        result.reason === 'throttled'
          ? i18n.t('auth.login.throttled', { minutes: Math.ceil(result.retryAfterSeconds / 60) })
          : i18n.t('auth.login.invalid')
      session.flash('error', message)
      session.flashOnly(['email', 'remember', 'next'])
      return response.redirect('/login')
    }

    // login() renews the session id, so a planted session cookie is worthless.
    await auth.use('web').login(result.user, !!remember)
    session.put(RETURNING_KEY, result.user.lastSignInAt !== null)
    result.user.lastSignInAt = DateTime.now()
    await result.user.save()
    return response.redirect(safeNextPath(next) ?? (await homePathFor(result.user)))
  }

  async destroy({ auth, response, session }: HttpContext) {
    session.forget(IMPERSONATOR_KEY)
    await auth.use('web').logout()
    return response.redirect('/login')
  }
}
