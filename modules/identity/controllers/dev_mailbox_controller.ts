import type { HttpContext } from '@adonisjs/core/http'
import { findDevMail, recentDevMails } from '#app/mail/dev_mailbox_transport'

/**
 * The development mailbox: every e-mail the app "sent" without SMTP. Only
 * routed outside production.
 */
export default class DevMailboxController {
  async index({ view }: HttpContext) {
    const mails = await recentDevMails()
    return view.render('identity::pages/dev_mailbox', { mails })
  }

  async show({ params, view, response }: HttpContext) {
    const mail = await findDevMail(Number(params.id) || 0)
    if (!mail) return response.notFound('')
    return view.render('identity::pages/dev_mail', { mail })
  }
}
