import env from '#start/env'

const tenancyConfig = {
  /**
   * Tenants answer on `<slug>.<domain>` as well as on `/t/<slug>`.
   */
  domain: env.get('APP_DOMAIN', 'localhost'),

  /**
   * Migrations run inside every tenant schema, folders in this order, files
   * sorted by name within a folder.
   */
  tenantMigrationPaths: [
    'modules/channels/migrations/tenant',
    'modules/brain/migrations/tenant',
    'modules/integrations/migrations/tenant',
    'modules/hitl/migrations/tenant',
    'modules/data_engine/migrations/tenant',
    'modules/inbox/migrations/tenant',
    'modules/pulse/migrations/tenant',
    'modules/flows/migrations/tenant',
  ],

  /**
   * How long a soft-deleted tenant can still be restored.
   */
  restoreWindowDays: 30,
}

export default tenancyConfig
