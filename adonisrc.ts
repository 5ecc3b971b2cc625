import { defineConfig } from '@adonisjs/core/app'

export default defineConfig({
  /*
  | Providers shut down last-started first: workers stop before Lucid closes
  | its pool, and the pool closes before the embedded database stops.
  */
  experimental: {
    shutdownInReverseOrder: true,
  },

  /*
  | Ace commands: the framework's, Lucid's, and each module's own loader.
  */
  commands: [
    () => import('@adonisjs/core/commands'),
    () => import('@adonisjs/lucid/commands'),
    () => import('@adonisjs/mail/commands'),
    () => import('#app/queue/commands'),
    () => import('#modules/tenancy/commands/main'),
    () => import('#modules/channels/commands/main'),
    () => import('#modules/brain/commands/main'),
    () => import('#modules/integrations/commands/main'),
  ],

  /*
  | Providers. DatabaseModeProvider must stay ahead of Lucid's: it starts the
  | embedded database (or checks the server) before Lucid connects.
  */
  providers: [
    () => import('@adonisjs/core/providers/app_provider'),
    () => import('@adonisjs/core/providers/hash_provider'),
    {
      file: () => import('@adonisjs/core/providers/repl_provider'),
      environment: ['repl', 'test'],
    },
    () => import('@adonisjs/core/providers/vinejs_provider'),
    () => import('@adonisjs/core/providers/edge_provider'),
    () => import('@adonisjs/static/static_provider'),
    () => import('#providers/database_mode_provider'),
    () => import('@adonisjs/lucid/database_provider'),
    () => import('@adonisjs/session/session_provider'),
    () => import('@adonisjs/shield/shield_provider'),
    () => import('@adonisjs/auth/auth_provider'),
    () => import('@adonisjs/bouncer/bouncer_provider'),
    () => import('@adonisjs/i18n/i18n_provider'),
    () => import('@adonisjs/redis/redis_provider'),
    () => import('@adonisjs/limiter/limiter_provider'),
    () => import('@adonisjs/mail/mail_provider'),
    () => import('@adonisjs/drive/drive_provider'),
    () => import('@rlanz/bull-queue/queue_provider'),
    () => import('#providers/app_role_provider'),
  ],

  /*
  | Preloads: routes (each module's routes.ts is imported by start/routes.ts),
  | the middleware stack, the Edge view disks, event listeners, and the
  | policies (which load every module's permission rows).
  */
  preloads: [
    () => import('#start/routes'),
    () => import('#start/kernel'),
    () => import('#start/views'),
    () => import('#start/mail'),
    () => import('#start/events'),
    () => import('#start/policies'),
  ],

  directories: {
    public: 'resources/public',
  },

  tests: {
    suites: [
      {
        files: ['tests/unit/**/*.spec(.ts|.js)'],
        name: 'unit',
        timeout: 10_000,
      },
      {
        files: ['tests/functional/**/*.spec(.ts|.js)'],
        name: 'functional',
        timeout: 120_000,
      },
      {
        files: ['tests/browser/**/*.spec(.ts|.js)'],
        name: 'browser',
        timeout: 120_000,
      },
    ],
    forceExit: false,
  },

  metaFiles: [
    { pattern: 'modules/*/views/**/*.edge', reloadServer: false },
    { pattern: 'resources/views/**/*.edge', reloadServer: false },
    { pattern: 'resources/public/**', reloadServer: false },
    { pattern: 'resources/lang/**/*.{json,yaml,yml}', reloadServer: false },
  ],
})
