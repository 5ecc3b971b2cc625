import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { Membership, User } from '#modules/identity/index'
import {
  AuditLog,
  Tenant,
  provisionTenant,
  schemaNameFor,
  systemActor,
  tenantMigrator,
} from '#modules/tenancy/index'
import { destroyTenant, uniqueSlug } from '#tests/helpers/tenants'

async function schemaExists(schema: string) {
  const result = await db.rawQuery('select 1 from pg_namespace where nspname = ?', [schema])
  return result.rows.length === 1
}

test.group('Tenant provisioning', () => {
  test('creates the schema, applies every tenant migration and records the owner', async ({
    assert,
    cleanup,
  }) => {
    const slug = uniqueSlug('prov')
    cleanup(() => destroyTenant(slug))
    const email = `${slug}@Owner.Test`

    const tenant = await provisionTenant(
      { slug, name: 'Provisioned Ltd', owner: { email, password: 'secret-pass-1' } },
      systemActor
    )

    assert.equal(tenant.status, 'active')
    assert.equal(tenant.schemaName, schemaNameFor(slug))
    assert.isTrue(await schemaExists(tenant.schemaName))
    assert.deepEqual(await tenantMigrator.pending(tenant), [])
    assert.equal((await Tenant.findOrFail(tenant.id)).schemaVersion, await tenantMigrator.latest())

    const contacts = await db.rawQuery(`select to_regclass(?) as t`, [
      `${tenant.schemaName}.contacts`,
    ])
    assert.isNotNull(contacts.rows[0].t)

    const owner = await User.findByEmail(email)
    assert.equal(owner?.email, email.toLowerCase())
    const membership = await Membership.query()
      .where({ tenantId: tenant.id, userId: owner!.id })
      .first()
    assert.equal(membership?.role, 'owner')

    const audit = await AuditLog.query().where({ tenantId: tenant.id, action: 'tenant.created' })
    assert.lengthOf(audit, 1)
    assert.equal(audit[0].actorLabel, 'system')
  })

  test('re-running after a crash halfway finishes the same tenant', async ({ assert, cleanup }) => {
    const slug = uniqueSlug('crash')
    cleanup(() => destroyTenant(slug))

    // What a process that died after creating the row and the schema leaves.
    const schemaName = schemaNameFor(slug)
    await Tenant.create({ slug, name: 'Half Made', schemaName, status: 'provisioning' })
    await db.rawQuery(`create schema "${schemaName}"`)

    const tenant = await provisionTenant(
      { slug, name: 'Half Made', owner: { email: `${slug}@x.test`, password: 'secret-pass-1' } },
      systemActor
    )
    assert.equal(tenant.status, 'active')
    assert.deepEqual(await tenantMigrator.pending(tenant), [])
    assert.equal(
      await Tenant.query()
        .where('slug', slug)
        .count('* as n')
        .then((r) => Number(r[0].$extras.n)),
      1
    )

    // And running it once more for a finished tenant is refused, not repeated.
    await assert.rejects(
      () => provisionTenant({ slug, name: 'Again' }, systemActor),
      `A tenant with the slug "${slug}" already exists`
    )
  })

  test('a provisioning tenant is not reachable until it is active', async ({ client, cleanup }) => {
    const slug = uniqueSlug('half')
    cleanup(() => destroyTenant(slug))
    await Tenant.create({
      slug,
      name: 'Half',
      schemaName: schemaNameFor(slug),
      status: 'provisioning',
    })

    const response = await client.get(`/t/${slug}/health`).header('accept', 'application/json')
    response.assertStatus(404)
    response.assertBodyContains({ error: { code: 'tenant_not_found' } })
    await provisionTenant({ slug, name: 'Half' }, systemActor)
  })

  test('refuses invalid and reserved slugs with the reason', async ({ assert }) => {
    await assert.rejects(() => provisionTenant({ slug: 'No', name: 'x' }, systemActor), /3 to 40/)
    await assert.rejects(() => provisionTenant({ slug: 'api', name: 'x' }, systemActor), /reserved/)
    assert.isNull(await Tenant.findBy('slug', 'api'))
  })

  test('two concurrent provisionings of one slug leave one tenant', async ({ assert, cleanup }) => {
    const slug = uniqueSlug('race')
    cleanup(() => destroyTenant(slug))
    const results = await Promise.allSettled([
      provisionTenant({ slug, name: 'Race A' }, systemActor),
      provisionTenant({ slug, name: 'Race B' }, systemActor),
    ])
    assert.isAtLeast(results.filter((r) => r.status === 'fulfilled').length, 1)
    const rows = await Tenant.query().where('slug', slug)
    assert.lengthOf(rows, 1)
    assert.equal(rows[0].status, 'active')
  })
})
