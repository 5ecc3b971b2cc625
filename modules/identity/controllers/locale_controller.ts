import type { HttpContext } from '@adonisjs/core/http'
import { LOCALE_COOKIE } from '#app/middleware/detect_locale_middleware'
import { safeNextPath } from '../services/home_path.js'

/**
 * The language links on signed-out pages. A signed-in person's language is
 * their profile's; this remembers a visitor's choice in a cookie.
 */
export default class LocaleController {
  async handle({ params, request, response }: HttpContext) {
    const locale = params.locale === 'ar' ? 'ar' : 'en'
    response.plainCookie(LOCALE_COOKIE, locale, { maxAge: '1y', httpOnly: true, sameSite: 'lax' })
    return response.redirect(safeNextPath(request.input('next')) ?? '/login')
  }
}
