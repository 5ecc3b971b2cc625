import Tenant from '../models/tenant.js'
import { TenantContext } from './tenant_context.js'

/**
 * Looks a tenant up for work on its data: by slug from a URL or a job
 * payload. Provisioning and deleted tenants are not returned.
 */
export async function findUsableTenant(slug: string): Promise<Tenant | null> {
  const tenant = await Tenant.findBy('slug', slug)
  if (!tenant || tenant.status === 'provisioning' || tenant.status === 'deleted') return null
  return tenant
}

export function contextFor(tenant: Pick<Tenant, 'id' | 'slug' | 'schemaName'>) {
  return new TenantContext(tenant.id, tenant.slug, tenant.schemaName)
}
