import app from '@adonisjs/core/services/app'
import { defineConfig, formatters, loaders } from '@adonisjs/i18n'

/**
 * English and Arabic. Every string a person reads comes from
 * resources/lang/<locale>/<namespace>.json; a key missing in Arabic falls
 * back to English rather than showing the key.
 */
const i18nConfig = defineConfig({
  defaultLocale: 'en',
  supportedLocales: ['en', 'ar'],
  fallbackLocales: { ar: 'en' },
  formatter: formatters.icu(),
  loaders: [loaders.fs({ location: app.languageFilesPath() })],
})

export default i18nConfig
