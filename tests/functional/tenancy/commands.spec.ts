import { pathToFileURL } from 'node:url'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { AuditLog, Tenant, tenantMigrator } from '#modules/tenancy/index'
import { runAce, runCommand } from '#tests/helpers/ace'
import { destroyTenant, makeTenant, uniqueSlug } from '#tests/helpers/tenants'

test.group('Tenancy commands', () => {
  test('tenants:create --json prints id, slug and schema', async ({ assert, cleanup }) => {
    const slug = uniqueSlug('cli')
    cleanup(() => destroyTenant(slug))
    const result = await runAce([
      'tenants:create',
      '--slug',
      slug,
      '--name',
      'Cli Co',
      '--owner-email',
      `${slug}@cli.test`,
      '--owner-password',
      'secret-pass-1',
      '--json',
    ])
    assert.equal(result.code, 0, result.stderr)
    const printed = JSON.parse(result.stdout.trim())
    const tenant = await Tenant.findByOrFail('slug', slug)
    assert.deepEqual(printed, { id: tenant.id, slug, schema: tenant.schemaName })
    const audit = await AuditLog.findByOrFail('tenant_id', tenant.id)
    assert.match(audit.actorLabel, /^cli:/)
    assert.match(audit.source ?? '', /^cli@/)
  })

  test('tenants:create exits non-zero with the reason for a duplicate or invalid slug', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('dup')
    cleanup(remove)
    const duplicate = await runCommand([
      'tenants:create',
      '--slug',
      tenant.slug,
      '--name',
      'Again',
      '--json',
    ])
    assert.equal(duplicate.code, 1)
    assert.equal(JSON.parse(duplicate.stdout.trim()).error.code, 'slug_taken')

    const invalid = await runCommand(['tenants:create', '--slug', 'Bad Slug', '--name', 'x'])
    assert.equal(invalid.code, 1)
    assert.include(invalid.stderr + invalid.stdout, 'lowercase letters')
  })

  test('tenants:migrate reports a failing tenant by name and still migrates the others', async ({
    assert,
    cleanup,
  }) => {
    const healthy = await makeTenant('mig-ok')
    const broken = await makeTenant('mig-bad')
    cleanup(healthy.cleanup)
    cleanup(broken.cleanup)

    // Both fall behind on the latest migration: the healthy one really (its
    // down() ran), the broken one only on paper, so re-applying it fails.
    const latestFile = (await tenantMigrator.files()).at(-1)!
    const latest = latestFile.name
    for (const { tenant } of [healthy, broken]) {
      await db.from(`${tenant.schemaName}.schema_migrations`).where('name', latest).delete()
    }
    const { default: Migration } = await import(pathToFileURL(latestFile.absolutePath).href)
    await healthy.context.transaction((trx) => new Migration(trx, latest, false).execDown())

    const result = await runAce(['tenants:migrate', '--concurrency', '2'])
    assert.equal(result.code, 1)
    assert.include(result.stderr + result.stdout, `${broken.tenant.slug}:`)
    assert.notInclude(result.stderr + result.stdout, `${healthy.tenant.slug}:`)
    assert.deepEqual(await tenantMigrator.pending(healthy.tenant), [])
    assert.lengthOf(await tenantMigrator.pending(broken.tenant), 1)

    const status = await runAce(['tenants:migrate:status', '--json'])
    const report = JSON.parse(status.stdout.trim())
    const behind = report.tenants.filter((t: { pending: string[] }) => t.pending.length > 0)
    assert.deepEqual(
      behind.map((t: { slug: string }) => t.slug),
      [broken.tenant.slug]
    )
    // Repair so cleanup works on a consistent schema.
    await db.table(`${broken.tenant.schemaName}.schema_migrations`).insert({ name: latest })
  }).timeout(180_000)

  test('lifecycle commands change status, and destroy needs a prior delete', async ({ assert }) => {
    const { tenant } = await makeTenant('cmdlife')
    const suspend = await runCommand([
      'tenants:suspend',
      tenant.slug,
      '--json',
      '--reason',
      'audit',
    ])
    assert.equal(suspend.code, 0, suspend.stderr)
    assert.deepEqual(JSON.parse(suspend.stdout.trim()), { slug: tenant.slug, status: 'suspended' })

    const early = await runCommand(['tenants:destroy', tenant.slug, '--force', '--json'])
    assert.equal(early.code, 1)
    assert.equal(JSON.parse(early.stdout.trim()).error.code, 'invalid_tenant_status')

    assert.equal((await runCommand(['tenants:delete', tenant.slug])).code, 0)
    assert.equal((await runCommand(['tenants:restore', tenant.slug])).code, 0)
    assert.equal((await Tenant.findByOrFail('slug', tenant.slug)).status, 'suspended')
    assert.equal((await runCommand(['tenants:reactivate', tenant.slug])).code, 0)
    assert.equal((await runCommand(['tenants:delete', tenant.slug])).code, 0)
    const destroy = await runCommand(['tenants:destroy', tenant.slug, '--force'])
    assert.equal(destroy.code, 0, destroy.stderr)
    assert.isNull(await Tenant.findBy('slug', tenant.slug))

    const missing = await runCommand(['tenants:suspend', 'no-such-tenant', '--json'])
    assert.equal(missing.code, 1)
    assert.equal(JSON.parse(missing.stdout.trim()).error.code, 'tenant_not_found')
  }).timeout(180_000)
})
