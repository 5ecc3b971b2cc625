import { test } from '@japa/runner'
import { pathToFileURL } from 'node:url'
import db from '@adonisjs/lucid/services/db'
import { Membership, User } from '#modules/identity/index'
import {
  AuditLog,
  Tenant,
  contextFor,
  provisionTenant,
  schemaNameFor,
  systemActor,
  tenantMigrator,
} from '#modules/tenancy/index'
import { destroyTenant, uniqueSlug } from '#tests/helpers/tenants'

/**
 * What a schema is made of, with its own name taken out: every column, every
 * constraint and every index, as PostgreSQL describes them.
 */
async function schemaShape(schema: string) {
  const columns = await db.rawQuery(
    `select table_name, column_name, data_type, udt_name, is_nullable, column_default,
            character_maximum_length, is_generated, generation_expression, is_identity
       from information_schema.columns where table_schema = ?
      order by table_name, column_name`,
    [schema]
  )
  const constraints = await db.rawQuery(
    `select c.conrelid::regclass::text as on_table, c.conname, pg_get_constraintdef(c.oid) as def
       from pg_constraint c join pg_namespace n on n.oid = c.connamespace
      where n.nspname = ? order by 1, 2`,
    [schema]
  )
  const indexes = await db.rawQuery(
    `select tablename, indexname, indexdef from pg_indexes where schemaname = ? order by 1, 2`,
    [schema]
  )
  const text = JSON.stringify([columns.rows, constraints.rows, indexes.rows])
  return JSON.parse(text.replaceAll(`"${schema}".`, '').replaceAll(`${schema}.`, ''))
}

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

  test('a new tenant made in one script has the schema the migrations make file by file', async ({
    assert,
    cleanup,
  }) => {
    const fresh = uniqueSlug('script')
    cleanup(() => destroyTenant(fresh))
    const made = await provisionTenant({ slug: fresh, name: 'Script' }, systemActor)

    // A schema whose first migration is already applied takes the others
    // one file at a time, as an existing tenant does after a deploy.
    const slug = uniqueSlug('byfile')
    cleanup(() => destroyTenant(slug))
    const schemaName = schemaNameFor(slug)
    const stepwise = await Tenant.create({ slug, name: 'By file', schemaName, status: 'active' })
    const [first] = await tenantMigrator.files()
    await db.rawQuery(`create schema "${schemaName}"`)
    await db.rawQuery(
      `create table "${schemaName}".schema_migrations (name varchar(255) primary key,
         migrated_at timestamptz not null default now())`
    )
    const { default: Migration } = await import(pathToFileURL(first.absolutePath).href)
    await contextFor(stepwise).transaction(async (trx) => {
      await new Migration(trx, first.name, false).execUp()
      await trx.table('schema_migrations').insert({ name: first.name })
    })
    const applied = await tenantMigrator.migrate(stepwise)
    assert.lengthOf(applied, (await tenantMigrator.files()).length - 1)

    const expected = await schemaShape(schemaName)
    assert.isAbove(expected[0].length, 100)
    assert.deepEqual(await schemaShape(made.schemaName), expected)
    const settings = await db.from(`${made.schemaName}.brain_settings`).count('* as n')
    assert.equal(Number(settings[0].n), 1)
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
