import AuditLog from '../models/audit_log.js'

export const AUDIT_PER_PAGE = 50

export interface AuditFilters {
  tenant: string
  actor: string
  action: string
  page: number
}

export function auditFiltersFrom(query: Record<string, unknown>): AuditFilters {
  const text = (value: unknown, max: number) =>
    typeof value === 'string' ? value.trim().slice(0, max) : ''
  return {
    tenant: text(query.tenant, 40).toLowerCase(),
    actor: text(query.actor, 255),
    action: text(query.action, 80),
    page: Math.max(1, Number.parseInt(String(query.page ?? '1'), 10) || 1),
  }
}

function escapeLike(value: string) {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/**
 * One page of the audit log, newest first: by tenant slug (exact, so it
 * still finds a tenant that was hard-deleted), actor label (contains) and
 * action (exact).
 */
export async function searchAudit(filters: AuditFilters, baseUrl: string) {
  const query = AuditLog.query().orderBy('occurred_at', 'desc').orderBy('id', 'desc')
  if (filters.tenant) query.where('tenant_slug', filters.tenant)
  if (filters.actor) query.whereILike('actor_label', `%${escapeLike(filters.actor)}%`)
  if (filters.action) query.where('action', filters.action)
  const entries = await query.paginate(filters.page, AUDIT_PER_PAGE)
  const kept = Object.fromEntries(
    Object.entries({ tenant: filters.tenant, actor: filters.actor, action: filters.action }).filter(
      ([, value]) => value
    )
  )
  entries.baseUrl(baseUrl).queryString(kept)
  return entries
}

/** Every action recorded so far, for the filter's choices. */
export async function auditActions(): Promise<string[]> {
  const rows = await AuditLog.query().distinct('action').orderBy('action')
  return rows.map((row) => row.action)
}
