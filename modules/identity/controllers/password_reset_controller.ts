import type { HttpContext } from '@adonisjs/core/http'
import {
  forgotPasswordValidator,
  resetPasswordValidator,
} from '../validators/password_validator.js'
import {
  findResetUser,
  requestPasswordReset,
  resetPassword,
} from '../services/password_reset_service.js'
import { clearSignInLocks } from '../services/sign_in_service.js'

export default class PasswordResetController {
  async create({ view }: HttpContext) {
    return view.render('identity::pages/forgot_password')
  }

  /** The same answer whether or not the address has an account. */
  async store({ request, response, session, i18n }: HttpContext) {
    const { email } = await request.validateUsing(forgotPasswordValidator)
    await requestPasswordReset(email)
    session.flash('success', i18n.t('auth.forgot.sent', { email }))
    return response.redirect('/login')
  }

  async edit({ params, view, response }: HttpContext) {
    const user = await findResetUser(params.token)
    if (!user) return response.status(410).send(await view.render('identity::pages/reset_expired'))
    return view.render('identity::pages/reset_password', { token: params.token })
  }

  async update({ params, request, response, session, view, i18n }: HttpContext) {
    const { password } = await request.validateUsing(resetPasswordValidator)
    const user = await resetPassword(params.token, password)
    if (!user) return response.status(410).send(await view.render('identity::pages/reset_expired'))
    // They hold the mailbox: earlier failed attempts (theirs or a guesser's) no longer lock them out.
    await clearSignInLocks(user.email, request.ip())
    session.flash('success', i18n.t('auth.reset.done'))
    return response.redirect('/login')
  }
}
