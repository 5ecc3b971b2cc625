import db from '@adonisjs/lucid/services/db'
import Tenant from '../models/tenant.js'
import { TenantContext } from './tenant_context.js'

/**
 * Looks a tenant up for work on its data: by slug from a URL or a job
 * payload. Provisioning and deleted tenants are not returned.
 */
export async function findUsableTenant(slug: string): Promise<Tenant | null> {
  const tenant = await Tenant.findBy('slug', slug)
  if (!tenant || !isUsable(tenant.status)) return null
  return tenant
}

export function contextFor(tenant: Pick<Tenant, 'id' | 'slug' | 'schemaName'>) {
  return new TenantContext(tenant.id, tenant.slug, tenant.schemaName)
}

function isUsable(status: Tenant['status']) {
  return status !== 'provisioning' && status !== 'deleted'
}

/*
| Jobs and event listeners need only a tenant's context (id, slug, schema),
| and under load they ask for it several times per inbound message: every
| tenant job, the assistant's and the outbound webhooks' listeners. Read
| from the database each time, that was the worker's most frequent
| statement (6 per message in bench:ingest), each one a Lucid model.
|
| A slug's context never changes (slugs are not renamed, schemas not
| moved), so a usable tenant's context is kept for a few seconds. Lifecycle
| changes forget it at once in the process that makes them; other processes
| see them within CONTEXT_TTL_MS. That is safe because a tenant stops being
| usable only by a soft delete (its data is kept, so a job that still runs
| in that window works on intact tables), and its schema is dropped only
| days later. Unusable tenants are not kept: one that finishes
| provisioning is found on the next call.
*/
const CONTEXT_TTL_MS = 5_000
const MAX_CONTEXTS = 10_000
const contexts = new Map<string, { context: TenantContext; until: number }>()

/** The context of a usable tenant, from a short-lived cache; null if gone. */
export async function usableTenantContext(slug: string): Promise<TenantContext | null> {
  const kept = contexts.get(slug)
  if (kept && kept.until > Date.now()) return kept.context
  contexts.delete(slug)
  const row: { id: string; slug: string; schema_name: string; status: Tenant['status'] } | null =
    await db
      .from('tenants')
      .select('id', 'slug', 'schema_name', 'status')
      .where('slug', slug)
      .first()
  if (!row || !isUsable(row.status)) return null
  const context = new TenantContext(row.id, row.slug, row.schema_name)
  if (contexts.size >= MAX_CONTEXTS) contexts.clear()
  contexts.set(slug, { context, until: Date.now() + CONTEXT_TTL_MS })
  return context
}

/** Drops a tenant's kept context: its status changed in this process. */
export function forgetTenantContext(slug: string) {
  contexts.delete(slug)
}
