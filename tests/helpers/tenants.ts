import type { Role } from '#modules/identity/index'
import { makeMember } from '#tests/helpers/users'
import { randomBytes } from 'node:crypto'
import {
  Tenant,
  contextFor,
  hardDeleteTenant,
  provisionTenant,
  softDeleteTenant,
  systemActor,
} from '#modules/tenancy/index'
import { changeTenantPlan } from '#modules/tenancy/services/console_tenant_service'

/**
 * A slug no other test (or earlier run) uses.
 */
export function uniqueSlug(prefix = 't') {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}

/**
 * Provisions a fresh tenant and returns it with its context and a cleanup
 * function that hard-deletes it (schema dropped).
 */
export async function makeTenant(prefix = 't', owner?: { email: string; password: string }) {
  const slug = uniqueSlug(prefix)
  const tenant = await provisionTenant({ slug, name: `Tenant ${slug}`, owner }, systemActor)
  return {
    tenant,
    context: contextFor(tenant),
    cleanup: () => destroyTenant(slug),
  }
}

export async function destroyTenant(slug: string) {
  const tenant = await Tenant.findBy('slug', slug)
  if (!tenant) return
  if (tenant.status !== 'deleted') await softDeleteTenant(tenant, systemActor)
  await hardDeleteTenant(tenant, systemActor)
}

/**
 * Takes a tenant off its plan, for tests that need more than the default
 * plan allows (two channels, say); the limits themselves are billing's tests.
 */
export async function withoutPlan(tenant: Tenant) {
  await changeTenantPlan(tenant, null, systemActor)
}

type Cleanup = (fn: () => void | Promise<void>) => void

/**
 * A fresh tenant for a workspace test, removed afterwards, with `member(role)`
 * to add people (also removed) and `base`, the workspace's path.
 */
export async function makeWorkspace(cleanup: Cleanup, prefix = 'ws') {
  const made = await makeTenant(prefix)
  cleanup(made.cleanup)
  const member = async (role: Role) => {
    const user = await makeMember(made.tenant.id, role)
    cleanup(() => user.delete())
    return user
  }
  return { ...made, member, base: `/t/${made.tenant.slug}` }
}
