import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/lucid'
import { embeddedDataDirFrom } from '#app/queue/queue_prefix'

/**
 * One connection, two modes. With DATABASE_URL it points at a PostgreSQL
 * server; without it, providers/database_mode_provider.ts starts the embedded
 * PGlite server and fills in host and port before Lucid connects.
 */
const databaseUrl = env.get('DATABASE_URL')

const dbConfig = defineConfig({
  connection: 'main',
  prettyPrintDebugQueries: !app.inProduction,
  connections: {
    main: {
      client: 'pg',
      connection: databaseUrl ? { connectionString: databaseUrl } : {},
      /**
       * Connections above `min` are closed after 30 s idle; the first burst
       * after a quiet spell waits for new ones (a PostgreSQL backend each).
       */
      pool: { min: env.get('DB_POOL_MIN', 2), max: env.get('DB_POOL_MAX', 10) },
      /**
       * Central migrations, in dependency order: the platform's own (schemas
       * and extensions), billing (plans), tenancy (tenants reference a plan),
       * identity (memberships reference tenants). Tenant migrations are
       * listed in config/tenancy.ts.
       */
      migrations: {
        naturalSort: true,
        paths: [
          'database/migrations',
          'modules/billing/migrations/central',
          'modules/tenancy/migrations/central',
          'modules/identity/migrations/central',
          'modules/channels/migrations/central',
          'modules/integrations/migrations/central',
        ],
      },
      seeders: { paths: ['database/seeders'] },
    },
  },
})

export const embeddedDatabase = {
  enabled: !databaseUrl,
  // NODE_ENV, not app.inTest: see config/queue.ts (whose queue names depend on this directory).
  dataDir: embeddedDataDirFrom({
    EMBEDDED_DB_DIR: env.get('EMBEDDED_DB_DIR'),
    NODE_ENV: env.get('NODE_ENV'),
  }),
  // The test suite's database is kept in memory unless EMBEDDED_DB_MEMORY=false.
  inMemory: env.get('EMBEDDED_DB_MEMORY') ?? env.get('NODE_ENV') === 'test',
}

export default dbConfig
