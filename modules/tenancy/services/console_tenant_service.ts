import db from '@adonisjs/lucid/services/db'
import { findPlan, listPlans, plansByIds } from '#modules/billing/index'
import { memberCounts, tenantTeam } from '#modules/identity/index'
import Tenant, { type TenantStatus } from '../models/tenant.js'
import AuditLog from '../models/audit_log.js'
import { recordAudit, type AuditActor } from './audit_log_service.js'
import { TenancyError } from './tenancy_errors.js'

export const TENANT_STATUSES: TenantStatus[] = ['active', 'suspended', 'deleted', 'provisioning']
export const TENANTS_PER_PAGE = 20

export interface TenantFilters {
  q: string
  status: TenantStatus | 'all'
  page: number
}

/**
 * Reads the list filters from a query string, forgiving anything odd (an
 * unknown status means all, a bad page number means the first page).
 */
export function tenantFiltersFrom(query: Record<string, unknown>): TenantFilters {
  const q = typeof query.q === 'string' ? query.q.trim().slice(0, 100) : ''
  const status = TENANT_STATUSES.find((s) => s === query.status) ?? 'all'
  const page = Math.max(1, Number.parseInt(String(query.page ?? '1'), 10) || 1)
  return { q, status, page }
}

/**
 * One page of tenants, newest first, with each one's plan name and member
 * count. The paginator's links keep the filters.
 */
export async function listTenants(filters: TenantFilters, baseUrl: string) {
  const query = Tenant.query().orderBy('created_at', 'desc').orderBy('slug')
  if (filters.q) {
    const like = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    query.where((w) => w.whereILike('name', like).orWhereILike('slug', like))
  }
  if (filters.status !== 'all') query.where('status', filters.status)

  const tenants = await query.paginate(filters.page, TENANTS_PER_PAGE)
  tenants.baseUrl(baseUrl).queryString({
    ...(filters.q ? { q: filters.q } : {}),
    ...(filters.status !== 'all' ? { status: filters.status } : {}),
  })

  const ids = tenants.all().map((tenant) => tenant.id)
  const planIds = [
    ...new Set(
      tenants
        .all()
        .map((t) => t.planId)
        .filter(Boolean)
    ),
  ] as string[]
  const [members, plans] = await Promise.all([memberCounts(ids), plansByIds(planIds)])
  const planNames = new Map(plans.map((plan) => [plan.id, plan.name]))

  return {
    tenants,
    rows: tenants.all().map((tenant) => ({
      tenant,
      planName: tenant.planId ? (planNames.get(tenant.planId) ?? null) : null,
      members: members.get(tenant.id) ?? 0,
    })),
  }
}

/**
 * Everything the tenant page shows: the tenant, its plan, its members with
 * their accounts, and its latest audit entries.
 */
export async function tenantDetail(tenantId: string) {
  const tenant = await Tenant.findOrFail(tenantId)
  const [plans, memberships, audit] = await Promise.all([
    listPlans(),
    tenantTeam(tenant.id),
    AuditLog.query()
      .where((w) => w.where('tenant_id', tenant.id).orWhere('tenant_slug', tenant.slug))
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(15),
  ])
  return {
    tenant,
    plans,
    plan: plans.find((plan) => plan.id === tenant.planId) ?? null,
    memberships,
    audit,
  }
}

/**
 * Moves a tenant to another plan (or to none), with an audit row in the same
 * transaction.
 */
export async function changeTenantPlan(tenant: Tenant, planId: string | null, actor: AuditActor) {
  if (tenant.planId === planId) return tenant
  const plan = planId ? await findPlan(planId) : null
  if (planId && !plan) throw new TenancyError('plan_not_found', 'That plan does not exist', 422)
  const from = tenant.planId
  await db.transaction(async (trx) => {
    tenant.useTransaction(trx)
    tenant.planId = plan?.id ?? null
    await tenant.save()
    await recordAudit(
      actor,
      {
        action: 'tenant.plan_changed',
        tenant,
        subjectType: 'tenant',
        subjectId: tenant.id,
        metadata: { from, to: tenant.planId, plan: plan?.slug ?? null },
      },
      trx
    )
  })
  return tenant
}

/**
 * The lifecycle actions that make sense from a tenant's current status,
 * so the page offers only those (the services refuse the rest anyway).
 */
export function lifecycleActionsFor(status: TenantStatus) {
  return {
    suspend: status === 'active',
    reactivate: status === 'suspended',
    delete: status === 'active' || status === 'suspended',
    restore: status === 'deleted',
    destroy: status === 'deleted',
    impersonate: status === 'active' || status === 'suspended',
  }
}
