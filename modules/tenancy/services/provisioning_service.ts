import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { findDefaultPlan } from '#modules/billing/index'
import { addMember, type NewMemberAccount } from '#modules/identity/index'
import Tenant from '../models/tenant.js'
import { checkSlug, schemaNameFor } from './tenant_slug.js'
import { tenantMigrator } from './tenant_migrator.js'
import { recordAudit, type AuditActor } from './audit_log_service.js'
import { TenancyError } from './tenancy_errors.js'

export interface ProvisionTenantInput {
  slug: string
  name: string
  planId?: string | null
  owner?: NewMemberAccount
}

export type ProvisioningStep = 'record' | 'schema' | 'owner' | 'activate'

/**
 * Creates a tenant: the central row, its schema with every tenant migration,
 * and its owner, then marks it active.
 *
 * The row is written first with status `provisioning`, which resolution
 * treats as not found. Every later step is idempotent, so when a run dies
 * halfway, running it again with the same slug picks up where it stopped
 * instead of refusing a duplicate or leaving a half-made tenant in use.
 */
export async function provisionTenant(
  input: ProvisionTenantInput,
  actor: AuditActor,
  onStep?: (step: ProvisioningStep) => void
): Promise<Tenant> {
  const slug = input.slug.trim()
  const problem = checkSlug(slug)
  if (problem) throw new TenancyError(problem.code, problem.message)
  const name = input.name.trim()
  if (!name) throw new TenancyError('name_required', 'The tenant needs a name')

  onStep?.('record')
  const tenant = await recordTenant(slug, name, input.planId)

  onStep?.('schema')
  await tenantMigrator.migrate(tenant)

  onStep?.('owner')
  if (input.owner) {
    await addMember(tenant.id, input.owner, 'owner')
  }

  onStep?.('activate')
  await db.transaction(async (trx) => {
    tenant.useTransaction(trx)
    tenant.status = 'active'
    tenant.provisionedAt = DateTime.now()
    await tenant.save()
    await recordAudit(
      actor,
      {
        action: 'tenant.created',
        tenant,
        subjectType: 'tenant',
        subjectId: tenant.id,
        metadata: { name, owner: input.owner?.email.toLowerCase() ?? null },
      },
      trx
    )
  })
  return tenant
}

async function recordTenant(slug: string, name: string, planId?: string | null) {
  const existing = await Tenant.findBy('slug', slug)
  if (existing) {
    if (existing.status !== 'provisioning') {
      throw new TenancyError('slug_taken', `A tenant with the slug "${slug}" already exists`, 409)
    }
    return existing
  }

  const plan = planId === undefined ? await findDefaultPlan() : null
  try {
    return await Tenant.create({
      slug,
      name,
      schemaName: schemaNameFor(slug),
      status: 'provisioning',
      planId: planId ?? plan?.id ?? null,
    })
  } catch (error) {
    // Another request created the same slug between our check and insert.
    if ((error as { code?: string }).code === '23505') {
      throw new TenancyError('slug_taken', `A tenant with the slug "${slug}" already exists`, 409)
    }
    throw error
  }
}
