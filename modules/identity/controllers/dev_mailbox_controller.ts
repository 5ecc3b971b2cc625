import type { HttpContext } from '@adonisjs/core/http'
import db from '@adonisjs/lucid/services/db'

/**
 * The development mailbox: every e-mail the app "sent" without SMTP. Only
 * routed outside production.
 */
export default class DevMailboxController {
  async index({ view }: HttpContext) {
    const mails = await db.from('dev_mails').orderBy('id', 'desc').limit(100)
    return view.render('identity::pages/dev_mailbox', { mails })
  }

  async show({ params, view, response }: HttpContext) {
    const mail = await db
      .from('dev_mails')
      .where('id', Number(params.id) || 0)
      .first()
    if (!mail) return response.notFound('')
    return view.render('identity::pages/dev_mail', { mail })
  }
}
