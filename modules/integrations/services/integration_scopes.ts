import { hasScope, normalizeScopes, type ApiScope } from '#app/http/api/index'

/*
| What our ready-made integrations (modules/integrations/clients) need of a
| key, per part of each: GET /me reports it, so a connection test can say
| "this key cannot subscribe triggers" at once instead of a 403 when a Zap
| or a workflow is turned on. Kept in step with the clients by their tests,
| which run each part with a key holding exactly these scopes.
*/
export const INTEGRATION_SCOPES = {
  zapier: {
    triggers: ['webhooks:write'],
    contacts: ['contacts:write'],
    messages: ['messages:write', 'channels:read', 'templates:read'],
    knowledge: ['knowledge:write'],
    searches: ['contacts:read', 'conversations:read'],
  },
  n8n: {
    trigger: ['webhooks:write'],
    contacts: ['contacts:write'],
    conversations: ['conversations:write', 'messages:read'],
    messages: ['messages:write', 'channels:read', 'templates:read'],
    knowledge: ['knowledge:write'],
  },
} satisfies Record<string, Record<string, ApiScope[]>>

export type IntegrationName = keyof typeof INTEGRATION_SCOPES

/**
 * For each integration, whether `granted` is enough for all of it, the
 * scopes it lacks, and which parts work as it is.
 */
export function integrationReadiness(granted: readonly string[]) {
  const entries = Object.entries(INTEGRATION_SCOPES).map(([name, parts]) => {
    const missing = new Set<ApiScope>()
    const features = Object.entries(parts as Record<string, ApiScope[]>).map(([part, scopes]) => {
      const lacking = scopes.filter((scope) => !hasScope(granted, scope))
      for (const scope of lacking) missing.add(scope)
      return { name: part, scopes, sufficient: lacking.length === 0 }
    })
    const missingScopes = normalizeScopes([...missing])
    return [name, { sufficient: missing.size === 0, missing_scopes: missingScopes, features }]
  })
  return Object.fromEntries(entries) as Record<
    IntegrationName,
    {
      sufficient: boolean
      missing_scopes: ApiScope[]
      features: Array<{ name: string; scopes: ApiScope[]; sufficient: boolean }>
    }
  >
}
