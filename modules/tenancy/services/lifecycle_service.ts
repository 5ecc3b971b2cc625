import { forgetTenantUsage } from '#modules/billing/index'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import tenancyConfig from '#config/tenancy'
import Tenant, { type TenantStatus } from '../models/tenant.js'
import { quoteIdent } from './tenant_context.js'
import { recordAudit, type AuditActor } from './audit_log_service.js'
import { TenancyError } from './tenancy_errors.js'
import { forgetTenantContext } from './tenant_registry.js'
import { invalidateCentralCache } from '#app/cache/central_cache'

/**
 * Tenant lifecycle: suspend, reactivate, soft delete, restore, hard delete.
 * Each change and its audit row commit together; each refuses a change that
 * makes no sense from the current status, saying why.
 */

export async function findTenantOrFail(slug: string): Promise<Tenant> {
  const tenant = await Tenant.findBy('slug', slug)
  if (!tenant || tenant.status === 'provisioning') {
    throw new TenancyError('tenant_not_found', `No tenant has the slug "${slug}"`, 404)
  }
  return tenant
}

export async function suspendTenant(tenant: Tenant, actor: AuditActor, reason?: string) {
  requireStatus(tenant, ['active'], 'Only an active tenant can be suspended')
  return transition(tenant, actor, 'tenant.suspended', { reason: reason ?? null }, (t) => {
    t.status = 'suspended'
    t.suspendedAt = DateTime.now()
  })
}

export async function reactivateTenant(tenant: Tenant, actor: AuditActor) {
  requireStatus(tenant, ['suspended'], 'Only a suspended tenant can be reactivated')
  return transition(tenant, actor, 'tenant.reactivated', {}, (t) => {
    t.status = 'active'
    t.suspendedAt = null
  })
}

export async function softDeleteTenant(tenant: Tenant, actor: AuditActor) {
  requireStatus(tenant, ['active', 'suspended'], 'This tenant is already deleted')
  return transition(
    tenant,
    actor,
    'tenant.deleted',
    { restorable_until: restoreDeadline(DateTime.now()).toISO() },
    (t) => {
      t.status = 'deleted'
      t.deletedAt = DateTime.now()
    }
  )
}

/**
 * Brings a soft-deleted tenant back as it was: suspended if it had been
 * suspended before deletion, active otherwise.
 */
export async function restoreTenant(tenant: Tenant, actor: AuditActor) {
  requireStatus(tenant, ['deleted'], 'Only a deleted tenant can be restored')
  if (tenant.deletedAt && restoreDeadline(tenant.deletedAt) < DateTime.now()) {
    throw new TenancyError(
      'restore_window_passed',
      `"${tenant.slug}" was deleted more than ${tenancyConfig.restoreWindowDays} days ago and can no longer be restored`,
      409
    )
  }
  return transition(tenant, actor, 'tenant.restored', {}, (t) => {
    t.status = t.suspendedAt ? 'suspended' : 'active'
    t.deletedAt = null
  })
}

/**
 * Drops the tenant's schema and its central row (memberships go with it).
 * Only after a soft delete, so no tenant disappears in one step.
 */
export async function hardDeleteTenant(tenant: Tenant, actor: AuditActor) {
  requireStatus(
    tenant,
    ['deleted'],
    'Delete the tenant first; only a deleted tenant can be destroyed'
  )
  // Dropping the schema locks its tables one by one; a statement still
  // reading two of them (a job finishing its last message) can deadlock with
  // it. PostgreSQL gives up one side; when it is this one, try again.
  for (let attempt = 1; ; attempt++) {
    try {
      await destroyTenantData(tenant, actor)
      break
    } catch (error) {
      if ((error as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= 3) throw error
    }
  }
  forgetTenantContext(tenant.slug)
  // The row went without a model hook: processes forget what they kept of it.
  await invalidateCentralCache()
}

const DEADLOCK_DETECTED = '40P01'

function destroyTenantData(tenant: Tenant, actor: AuditActor) {
  return db.transaction(async (trx) => {
    await trx.rawQuery(`drop schema if exists ${quoteIdent(tenant.schemaName)} cascade`)
    await forgetTenantUsage(tenant.id, trx)
    await recordAudit(
      actor,
      {
        action: 'tenant.destroyed',
        tenant,
        subjectType: 'tenant',
        subjectId: tenant.id,
        metadata: { schema: tenant.schemaName, name: tenant.name },
      },
      trx
    )
    await trx.from('tenants').where('id', tenant.id).delete()
  })
}

/**
 * Hard-deletes tenants whose restore window has passed. Returns their slugs.
 */
export async function purgeExpiredTenants(actor: AuditActor): Promise<string[]> {
  const cutoff = DateTime.now().minus({ days: tenancyConfig.restoreWindowDays })
  const expired = await Tenant.query()
    .where('status', 'deleted')
    .where('deleted_at', '<', cutoff.toJSDate())
  for (const tenant of expired) await hardDeleteTenant(tenant, actor)
  return expired.map((tenant) => tenant.slug)
}

function restoreDeadline(deletedAt: DateTime) {
  return deletedAt.plus({ days: tenancyConfig.restoreWindowDays })
}

function requireStatus(tenant: Tenant, allowed: TenantStatus[], message: string) {
  if (!allowed.includes(tenant.status)) {
    throw new TenancyError('invalid_tenant_status', `${message} (it is ${tenant.status})`, 409)
  }
}

async function transition(
  tenant: Tenant,
  actor: AuditActor,
  action: string,
  metadata: Record<string, unknown>,
  change: (tenant: Tenant) => void
) {
  const from = tenant.status
  await db.transaction(async (trx) => {
    tenant.useTransaction(trx)
    change(tenant)
    await tenant.save()
    await recordAudit(
      actor,
      {
        action,
        tenant,
        subjectType: 'tenant',
        subjectId: tenant.id,
        metadata: { ...metadata, from, to: tenant.status },
      },
      trx
    )
  })
  forgetTenantContext(tenant.slug)
  return tenant
}
