import Tenant, { type TenantStatus } from '../models/tenant.js'

/*
| What other modules may ask about tenants, from the module that owns them:
| a tenant by id or slug, the tenants in some states, how many tenants each
| plan has, and a tenant's plan id as a subquery (one statement for
| billing's limit checks).
*/

export function findTenant(tenantId: string) {
  return Tenant.find(tenantId)
}

/** A tenant by slug unless it is deleted (commands naming a workspace). */
export function findLiveTenantBySlug(slug: string) {
  return Tenant.query().where('slug', slug).whereNot('status', 'deleted').first()
}

export function tenantsInStatus(statuses: TenantStatus[]) {
  return Tenant.query().whereIn('status', statuses)
}

/** How many tenants that are not deleted are on each plan, by plan id. */
export async function tenantCountsByPlan() {
  const rows = await Tenant.query()
    .whereNotNull('plan_id')
    .whereNot('status', 'deleted')
    .groupBy('plan_id')
    .select('plan_id')
    .count('* as total')
  return new Map(rows.map((row) => [row.planId as string, Number(row.$extras.total)]))
}

/** `select plan_id from tenants where id = ?`, to use as a subquery. */
export function tenantPlanIdQuery(tenantId: string) {
  return Tenant.query().where('id', tenantId).select('plan_id')
}
