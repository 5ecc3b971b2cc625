/**
 * What an API key may do: read or write per area. Writing implies reading,
 * so `contacts:write` alone lets a key list contacts too.
 */
export const API_AREAS = [
  'contacts',
  'conversations',
  'messages',
  'channels',
  'templates',
  'knowledge',
  'webhooks',
  'tasks',
  'datasets',
  'connectors',
  'campaigns',
  'sequences',
  'bookings',
  'flows',
] as const

export type ApiArea = (typeof API_AREAS)[number]
export type ApiScope = `${ApiArea}:${'read' | 'write'}`

export const ALL_SCOPES: ApiScope[] = API_AREAS.flatMap((area) => [
  `${area}:read` as const,
  `${area}:write` as const,
])

export function isApiScope(value: string): value is ApiScope {
  return (ALL_SCOPES as string[]).includes(value)
}

export function hasScope(granted: readonly string[], needed: ApiScope) {
  if (granted.includes(needed)) return true
  const [area, access] = needed.split(':')
  return access === 'read' && granted.includes(`${area}:write`)
}

/**
 * The scopes to store: unknown names refused by the caller, duplicates
 * dropped, a write's implied read left implicit, in a stable order.
 */
export function normalizeScopes(scopes: readonly string[]): ApiScope[] {
  const chosen = new Set(scopes.filter(isApiScope))
  return ALL_SCOPES.filter((scope) => {
    if (!chosen.has(scope)) return false
    const [area, access] = scope.split(':')
    return !(access === 'read' && chosen.has(`${area}:write` as ApiScope))
  })
}

/** Reads `--scopes a,b` or a form's list; returns the names that are not scopes. */
export function parseScopeList(raw: string | readonly string[]) {
  const names = (typeof raw === 'string' ? raw.split(',') : [...raw])
    .map((name) => name.trim())
    .filter(Boolean)
  const expanded = names.flatMap((name) => (name === 'all' ? ALL_SCOPES : [name]))
  return {
    scopes: normalizeScopes(expanded),
    unknown: expanded.filter((name) => !isApiScope(name)),
  }
}
