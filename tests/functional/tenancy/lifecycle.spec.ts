import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import {
  AuditLog,
  Tenant,
  hardDeleteTenant,
  purgeExpiredTenants,
  reactivateTenant,
  restoreTenant,
  softDeleteTenant,
  suspendTenant,
  type AuditActor,
} from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'

const operator: AuditActor = {
  userId: null,
  label: 'test:operator',
  source: '203.0.113.9',
  userAgent: 'japa',
}

async function actionsFor(tenantId: string) {
  const rows = await AuditLog.query().where('tenant_id', tenantId).orderBy('id')
  return rows.map((row) => row.action)
}

test.group('Tenant lifecycle', () => {
  test('suspend, reactivate, soft delete and restore each change status and write an audit row', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('life')
    cleanup(remove)

    await suspendTenant(tenant, operator, 'unpaid invoice')
    assert.equal((await Tenant.findOrFail(tenant.id)).status, 'suspended')
    await reactivateTenant(tenant, operator)
    assert.equal((await Tenant.findOrFail(tenant.id)).status, 'active')
    await softDeleteTenant(tenant, operator)
    const deleted = await Tenant.findOrFail(tenant.id)
    assert.equal(deleted.status, 'deleted')
    assert.isNotNull(deleted.deletedAt)
    await restoreTenant(tenant, operator)
    assert.equal((await Tenant.findOrFail(tenant.id)).status, 'active')

    assert.deepEqual(await actionsFor(tenant.id), [
      'tenant.created',
      'tenant.suspended',
      'tenant.reactivated',
      'tenant.deleted',
      'tenant.restored',
    ])
    const suspended = await AuditLog.query()
      .where({ tenantId: tenant.id, action: 'tenant.suspended' })
      .firstOrFail()
    assert.equal(suspended.actorLabel, 'test:operator')
    assert.equal(suspended.source, '203.0.113.9')
    assert.equal(suspended.metadata.reason, 'unpaid invoice')
    assert.isNotNull(suspended.occurredAt)
  })

  test('a tenant suspended before deletion comes back suspended', async ({ assert, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('susdel')
    cleanup(remove)
    await suspendTenant(tenant, operator)
    await softDeleteTenant(tenant, operator)
    await restoreTenant(tenant, operator)
    assert.equal((await Tenant.findOrFail(tenant.id)).status, 'suspended')
  })

  test('refuses transitions that make no sense from the current status', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('bad')
    cleanup(remove)
    await assert.rejects(() => reactivateTenant(tenant, operator), /Only a suspended tenant/)
    await assert.rejects(() => restoreTenant(tenant, operator), /Only a deleted tenant/)
    await assert.rejects(
      () => hardDeleteTenant(tenant, operator),
      /only a deleted tenant can be destroyed/
    )
    assert.deepEqual(await actionsFor(tenant.id), ['tenant.created'])
  })

  test('restore is refused once the 30-day window has passed', async ({ assert, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('late')
    cleanup(remove)
    await softDeleteTenant(tenant, operator)
    await Tenant.query()
      .where('id', tenant.id)
      .update({ deleted_at: DateTime.now().minus({ days: 31 }).toJSDate() })
    await tenant.refresh()
    await assert.rejects(() => restoreTenant(tenant, operator), /more than 30 days ago/)
  })

  test('hard delete drops the schema and keeps the audit trail by slug', async ({ assert }) => {
    const { tenant } = await makeTenant('gone')
    await softDeleteTenant(tenant, operator)
    await hardDeleteTenant(tenant, operator)

    const schema = await db.rawQuery('select 1 from pg_namespace where nspname = ?', [
      tenant.schemaName,
    ])
    assert.lengthOf(schema.rows, 0)
    assert.isNull(await Tenant.find(tenant.id))
    const trail = await AuditLog.query().where('tenant_slug', tenant.slug).orderBy('id')
    assert.deepEqual(
      trail.map((row) => row.action),
      ['tenant.created', 'tenant.deleted', 'tenant.destroyed']
    )
    assert.isTrue(trail.every((row) => row.tenantId === null))
  })

  test('purge hard-deletes only tenants past the restore window', async ({ assert, cleanup }) => {
    const old = await makeTenant('old')
    const recent = await makeTenant('recent')
    cleanup(recent.cleanup)
    await softDeleteTenant(old.tenant, operator)
    await softDeleteTenant(recent.tenant, operator)
    await Tenant.query()
      .where('id', old.tenant.id)
      .update({ deleted_at: DateTime.now().minus({ days: 40 }).toJSDate() })

    const purged = await purgeExpiredTenants(operator)
    assert.include(purged, old.tenant.slug)
    assert.notInclude(purged, recent.tenant.slug)
    assert.isNull(await Tenant.find(old.tenant.id))
    assert.isNotNull(await Tenant.find(recent.tenant.id))
  })
})
