import i18nManager from '@adonisjs/i18n/services/main'
import { I18n } from '@adonisjs/i18n'
import { RequestValidator } from '@adonisjs/core/http'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { isMachineRequest } from '#app/http/machine_routes'

const COOKIE = 'flomastr_locale'

/**
 * The language a page speaks: the signed-in user's choice, else the one
 * picked on the sign-in page (a cookie), else the browser's. Shared with
 * views as `i18n` (for `t()`), `locale` and `dir`, and used for VineJS
 * messages.
 */
export default class DetectLocaleMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    // Machine routes have no cookie session to find a user in.
    if (!isMachineRequest(ctx)) await ctx.auth.check()
    const locale = this.#pick(ctx)
    ctx.i18n = i18nManager.locale(locale)
    ctx.containerResolver.bindValue(I18n, ctx.i18n)
    if ('view' in ctx) {
      ctx.view.share({ i18n: ctx.i18n, locale, dir: locale === 'ar' ? 'rtl' : 'ltr' })
    }
    return next()
  }

  #pick(ctx: HttpContext) {
    const supported = i18nManager.supportedLocales()
    const chosen = ctx.auth.user?.locale ?? ctx.request.plainCookie(COOKIE)
    if (chosen && supported.includes(chosen)) return chosen
    return i18nManager.getSupportedLocaleFor(ctx.request.languages()) ?? i18nManager.defaultLocale
  }
}

// Validation messages come from resources/lang/<locale>/validator.json.
RequestValidator.messagesProvider = (ctx) => ctx.i18n.createMessagesProvider()

export const LOCALE_COOKIE = COOKIE

declare module '@adonisjs/core/http' {
  export interface HttpContext {
    i18n: I18n
  }
}
