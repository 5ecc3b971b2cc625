import i18nManager from '@adonisjs/i18n/services/main'

/**
 * Translation outside a request (e-mails, jobs): in the recipient's language.
 */
export function translatorFor(locale: string) {
  const i18n = i18nManager.locale(i18nManager.supportedLocales().includes(locale) ? locale : 'en')
  return (key: string, data?: Record<string, unknown>) => i18n.t(key, data)
}
