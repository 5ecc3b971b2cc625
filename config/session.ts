import env from '#start/env'
import { defineConfig, stores } from '@adonisjs/session'

/**
 * Sessions live in the central `sessions` table, tagged with the user id, so
 * a password change can end every other session of that person.
 */
const sessionConfig = defineConfig({
  enabled: true,
  cookieName: 'flomastr_session',
  clearWithBrowser: true,
  age: '2h',
  cookie: {
    path: '/',
    httpOnly: true,
    secure: env.get('NODE_ENV') === 'production',
    sameSite: 'lax',
  },
  store: 'database',
  stores: {
    database: stores.database({ tableName: 'sessions' }),
  },
})

export default sessionConfig
