import type { HttpContext } from '@adonisjs/core/http'
import { apiTime, sendJson, normalizeScopes } from '#app/http/api/index'
import { integrationReadiness } from '../../services/integration_scopes.js'

/**
 * GET /api/v1/me: which workspace and key a token is, the first call an n8n
 * or Zapier connection makes to test its credentials, and whether the key's
 * scopes are enough for each of our integrations.
 */
export default class MeController {
  async show(ctx: HttpContext) {
    const { tenantRecord: tenant, apiKey: key } = ctx
    return sendJson(ctx, 200, {
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status },
      api_key: {
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        scopes: normalizeScopes(key.scopes),
        expires_at: apiTime(key.expiresAt),
      },
      integrations: integrationReadiness(key.scopes),
    })
  }
}
