import { configApp } from '@adonisjs/eslint-config'

export default configApp(
  {
    // The Zapier app and the n8n package are packages of their own (CommonJS,
    // their platforms' conventions and dependencies), not part of the app.
    ignores: ['build/**', 'tmp/**', 'node_modules/**', 'modules/integrations/clients/**'],
  },
  {
    // Assertions read best as `(await Tenant.findOrFail(id)).status`.
    files: ['tests/**/*.ts'],
    rules: { '@unicorn/no-await-expression-member': 'off' },
  }
)
