/*
| Environment variables are validated once at boot. Every variable has a
| development default so a fresh clone runs with no .env at all; the file is
| written from .env.example with a fresh APP_KEY the first time it is missing
| (never in production, where a missing APP_KEY must stop the process).
*/
import { Env } from '@adonisjs/core/env'
import { ensureDotEnv } from '#app/bootstrap/dot_env'
import { parseTrustedProxies } from '#app/net/trusted_proxies'

const appRoot = new URL('../', import.meta.url)
ensureDotEnv(appRoot)

export default await Env.create(appRoot, {
  NODE_ENV: Env.schema.enum.optional(['development', 'production', 'test'] as const),
  PORT: Env.schema.number.optional(),
  HOST: Env.schema.string.optional({ format: 'host' }),
  LOG_LEVEL: Env.schema.string.optional(),
  APP_KEY: Env.schema.string(),
  APP_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  APP_DOMAIN: Env.schema.string.optional(),
  APP_ROLE: Env.schema.enum.optional(['web', 'worker', 'all'] as const),
  // Checked here so a typo stops the boot rather than trusting nobody.
  TRUSTED_PROXIES: (_name: string, value?: string) => {
    parseTrustedProxies(value)
    return value
  },

  DATABASE_URL: Env.schema.string.optional(),
  EMBEDDED_DB_DIR: Env.schema.string.optional(),
  EMBEDDED_DB_MEMORY: Env.schema.boolean.optional(),
  DB_POOL_MIN: Env.schema.number.optional(),
  DB_POOL_MAX: Env.schema.number.optional(),

  REDIS_URL: Env.schema.string.optional(),
  QUEUE_CONCURRENCY: Env.schema.number.optional(),
  QUEUE_PREFIX: Env.schema.string.optional(),

  SUPER_ADMIN_EMAILS: Env.schema.string.optional(),

  WHATSAPP_GRAPH_URL: Env.schema.string.optional({ format: 'url', tld: false }),
  WEBHOOK_EVENTS_KEEP_DAYS: Env.schema.number.optional(),
  ALLOW_PRIVATE_MEDIA_URLS: Env.schema.boolean.optional(),

  MEDIA_DIR: Env.schema.string.optional(),

  AI_BASE_URL: Env.schema.string.optional(),
  AI_API_KEY: Env.schema.string.optional(),
  AI_CHAT_MODEL: Env.schema.string.optional(),
  AI_EMBED_MODEL: Env.schema.string.optional(),
  AI_EMBED_DIMENSIONS: Env.schema.number.optional(),
  AI_EMBED_BATCH_SIZE: Env.schema.number.optional(),
  AI_TIMEOUT_MS: Env.schema.number.optional(),
  AI_MAX_RETRIES: Env.schema.number.optional(),

  BRAIN_MAX_FILE_MB: Env.schema.number.optional(),
  BRAIN_MAX_PAGES: Env.schema.number.optional(),
  BRAIN_URL_TIMEOUT_MS: Env.schema.number.optional(),
  ASSISTANT_BURST_WAIT_MS: Env.schema.number.optional(),
  ALLOW_PRIVATE_URL_SOURCES: Env.schema.boolean.optional(),

  API_REQUESTS_PER_MINUTE: Env.schema.number.optional(),

  ALLOW_PRIVATE_WEBHOOK_TARGETS: Env.schema.boolean.optional(),
  CAMPAIGN_DOUBT_MS: Env.schema.number.optional(),
  WEBHOOK_TIMEOUT_MS: Env.schema.number.optional(),
  WEBHOOK_RETRY_BASE_MS: Env.schema.number.optional(),

  SMTP_HOST: Env.schema.string.optional(),
  SMTP_PORT: Env.schema.number.optional(),
  SMTP_SECURE: Env.schema.boolean.optional(),
  SMTP_USERNAME: Env.schema.string.optional(),
  SMTP_PASSWORD: Env.schema.string.optional(),
  MAIL_FROM_ADDRESS: Env.schema.string.optional(),
  MAIL_FROM_NAME: Env.schema.string.optional(),
})
