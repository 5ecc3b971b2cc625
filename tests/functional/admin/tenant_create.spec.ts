import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import hash from '@adonisjs/core/services/hash'
import db from '@adonisjs/lucid/services/db'
import { Queue } from 'bullmq'
import type queueConfig from '#config/queue'
import { Membership, User } from '#modules/identity/index'
import { Tenant } from '#modules/tenancy/index'
import { makeTenant, uniqueSlug } from '#tests/helpers/tenants'
import {
  deleteUserByEmail,
  discardTenant,
  htmx,
  latestAudit,
  makeSuperAdmin,
  signIn,
  waitFor,
  withDefaultQueueWorker,
} from './console_helpers.js'

const PASSWORD = 'owner-initial-pass'

function tenantForm(slug: string, ownerEmail: string, extra: Record<string, string> = {}) {
  return {
    name: `Console ${slug}`,
    slug,
    plan_id: '',
    owner_email: ownerEmail,
    owner_name: 'Olive Owner',
    password: PASSWORD,
    ...extra,
  }
}

async function provisioningRow(tenantId: string) {
  return db.from('tenant_provisionings').where('tenant_id', tenantId).first()
}

test.group('Console tenant creation: validation', () => {
  test('the form lists the plans and asks for the owner', async ({ assert, cleanup }) => {
    const web = await signIn(await makeSuperAdmin(cleanup))
    const page = await web.get('/admin/tenants/create')
    assert.equal(page.status, 200)
    for (const name of ['name', 'slug', 'plan_id', 'owner_email', 'owner_name', 'password']) {
      assert.include(page.body, `name="${name}"`)
    }
    assert.include(page.body, 'action="/admin/tenants"')
  })

  test('invalid, reserved and duplicate slugs come back as field errors, input kept', async ({
    assert,
    cleanup,
  }) => {
    const web = await signIn(await makeSuperAdmin(cleanup))
    const existing = await makeTenant('dup')
    cleanup(existing.cleanup)

    const cases = [
      { slug: 'a_b', message: 'Use 3 to 40 lowercase letters' },
      { slug: 'x', message: 'Use 3 to 40 lowercase letters' },
      { slug: 'admin', message: '&quot;admin&quot; is reserved by the platform' },
      {
        slug: existing.tenant.slug,
        message: `A tenant already uses &quot;${existing.tenant.slug}&quot;`,
      },
    ]
    for (const { slug, message } of cases) {
      const email = `dup-${slug.replace(/\W/g, '')}@example.test`
      const sent = await web.submit(
        '/admin/tenants/create',
        '/admin/tenants',
        tenantForm(slug, email)
      )
      assert.equal(sent.status, 302, slug)
      const form = await web.get('/admin/tenants/create')
      assert.include(form.body, message, slug)
      assert.include(form.body, 'aria-invalid="true"')
      assert.include(form.body, `value="Console ${slug}"`, 'the name is kept')
      assert.include(form.body, `value="${email}"`, 'the e-mail is kept')
      assert.notInclude(form.body, PASSWORD, 'the password is never echoed')
      assert.isNull(await User.findByEmail(email), 'no account was created')
    }
    assert.isNull(await Tenant.findBy('slug', 'admin'))
  })

  test('a short password and a bad e-mail are refused with their own messages', async ({
    assert,
    cleanup,
  }) => {
    const web = await signIn(await makeSuperAdmin(cleanup))
    const slug = uniqueSlug('short')
    await web.submit(
      '/admin/tenants/create',
      '/admin/tenants',
      tenantForm(slug, 'not-an-email', { password: 'short' })
    )
    const form = await web.get('/admin/tenants/create')
    assert.include(form.body, 'Use at least 10 characters.')
    assert.include(form.body, 'Enter an e-mail address')
    assert.isNull(await Tenant.findBy('slug', slug))
  })
})

test.group('Console tenant creation: queued', () => {
  test('without a worker the request is queued with ids only and the page polls', async ({
    assert,
    cleanup,
  }) => {
    const web = await signIn(await makeSuperAdmin(cleanup))
    const slug = uniqueSlug('queued')
    const email = `${slug}@example.test`
    cleanup(async () => {
      await deleteUserByEmail(email)
    })
    cleanup(async () => {
      await discardTenant(slug)
    })

    const sent = await web.submit(
      '/admin/tenants/create',
      '/admin/tenants',
      tenantForm(slug, email)
    )
    const tenant = await Tenant.findByOrFail('slug', slug)
    assert.equal(sent.location, `/admin/tenants/${tenant.id}/progress`)
    assert.equal(tenant.status, 'provisioning')

    const row = await provisioningRow(tenant.id)
    assert.equal(row.status, 'queued')
    assert.notEqual(row.owner_password_hash, PASSWORD)
    assert.isTrue(await hash.verify(row.owner_password_hash, PASSWORD))

    const config = app.config.get<typeof queueConfig>('queue')
    const queue = new Queue('default', {
      connection: config.defaultConnection,
      prefix: config.queue.prefix,
    })
    cleanup(async () => {
      await queue.close()
    })
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized'])
    const job = jobs.find((j) => j.data?.tenantId === tenant.id)
    assert.exists(job)
    cleanup(async () => {
      await job!.remove()
    })
    assert.deepEqual(job!.data, { tenantId: tenant.id })
    assert.notInclude(JSON.stringify(job), PASSWORD)

    const page = await web.get(`/admin/tenants/${tenant.id}/progress`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'Waiting for a worker')
    assert.include(page.body, '<noscript><meta http-equiv="refresh" content="2"></noscript>')
    assert.include(page.body, 'hx-trigger="every 1s"')
    assert.include(page.body, '<progress max="100" value="0"')

    const fragment = await htmx(web, 'provisioning').get(`/admin/tenants/${tenant.id}/progress`)
    assert.notInclude(fragment.body, '<html')
    assert.include(fragment.body, 'hx-trigger="every 1s"')

    const retry = await web.submit(
      `/admin/tenants/${tenant.id}/progress`,
      `/admin/tenants/${tenant.id}/retry`,
      {}
    )
    assert.equal(retry.location, `/admin/tenants/${tenant.id}/progress`)
    assert.include((await web.get(retry.location!)).body, 'Only a failed setup can be retried.')
  })
})

test.group('Console tenant creation: worker', (group) => {
  withDefaultQueueWorker(group)

  test('a tenant is provisioned end to end through the job', async ({ assert, cleanup }) => {
    const admin = await makeSuperAdmin(cleanup)
    const web = await signIn(admin)
    const slug = uniqueSlug('made')
    const email = `${slug}@example.test`
    cleanup(async () => {
      await deleteUserByEmail(email)
    })
    cleanup(async () => {
      await discardTenant(slug)
    })

    const sent = await web.submit(
      '/admin/tenants/create',
      '/admin/tenants',
      tenantForm(slug, email)
    )
    assert.equal(sent.status, 302)
    const tenant = await Tenant.findByOrFail('slug', slug)
    assert.equal(sent.location, `/admin/tenants/${tenant.id}/progress`)

    await waitFor(async () => (await provisioningRow(tenant.id))?.status === 'done')
    await tenant.refresh()
    assert.equal(tenant.status, 'active')
    assert.isNotNull(tenant.schemaVersion)

    const owner = await User.findByEmail(email)
    assert.exists(owner)
    assert.equal(owner!.name, 'Olive Owner')
    assert.isTrue(await hash.verify(owner!.password, PASSWORD), 'the owner signs in with it')
    const membership = await Membership.query()
      .where('tenant_id', tenant.id)
      .where('user_id', owner!.id)
      .firstOrFail()
    assert.equal(membership.role, 'owner')

    const row = await provisioningRow(tenant.id)
    assert.deepEqual(row.completed_steps, ['record', 'schema', 'owner', 'activate'])
    assert.isNull(row.owner_password_hash, 'the hash is dropped once the owner exists')
    assert.equal(row.attempts, 1)

    const audit = await latestAudit('tenant.created', tenant.id)
    assert.equal(audit?.actorLabel, admin.email, 'the audit names the admin who asked')

    const page = await web.get(`/admin/tenants/${tenant.id}/progress`)
    assert.include(page.body, 'The workspace is ready')
    assert.include(page.body, `href="/admin/tenants/${tenant.id}"`)
    assert.include(page.body, '<progress max="100" value="100"')
    assert.notInclude(page.body, 'http-equiv="refresh"')
    assert.notInclude(page.body, 'every 1s')
    const fragment = await htmx(web, 'provisioning').get(`/admin/tenants/${tenant.id}/progress`)
    assert.notInclude(fragment.body, 'hx-trigger', 'the finished fragment stops the polling')
    await signIn(owner!, PASSWORD)
  })

  test('a failed run shows its step and reason, and Try again finishes it', async ({
    assert,
    cleanup,
  }) => {
    const web = await signIn(await makeSuperAdmin(cleanup))
    const slug = uniqueSlug('fail')
    const email = `${slug}@example.test`
    const schema = `tenant_${slug.replaceAll('-', '_')}`
    cleanup(async () => {
      await deleteUserByEmail(email)
    })
    cleanup(async () => {
      await discardTenant(slug)
    })
    cleanup(async () => {
      await db.rawQuery(`drop schema if exists "${schema}" cascade`)
    })
    // A leftover table in the way makes the contacts migration fail for real.
    await db.rawQuery(`create schema "${schema}"`)
    await db.rawQuery(`create table "${schema}".contacts (id int)`)

    await web.submit('/admin/tenants/create', '/admin/tenants', tenantForm(slug, email))
    const tenant = await Tenant.findByOrFail('slug', slug)
    const failed = await waitFor(async () => {
      const row = await provisioningRow(tenant.id)
      return row?.status === 'failed' ? row : null
    })
    assert.equal(failed.step, 'schema')
    assert.deepEqual(failed.completed_steps, ['record'])
    assert.include(failed.error, 'already exists')

    const page = await web.get(`/admin/tenants/${tenant.id}/progress`)
    assert.include(page.body, 'Setting up the workspace failed')
    assert.include(page.body, 'already exists')
    assert.match(page.body, /<li class="failed">Create the database schema/)
    assert.match(page.body, /<li class="done">Reserve the name and slug/)
    assert.include(page.body, `action="/admin/tenants/${tenant.id}/retry"`)
    assert.notInclude(page.body, 'every 1s', 'a failed run is finished: no polling')
    assert.notInclude(page.body, 'http-equiv="refresh"')

    await db.rawQuery(`drop table "${schema}".contacts`)
    const retry = await web.submit(
      `/admin/tenants/${tenant.id}/progress`,
      `/admin/tenants/${tenant.id}/retry`,
      {}
    )
    assert.equal(retry.location, `/admin/tenants/${tenant.id}/progress`)
    await waitFor(async () => (await provisioningRow(tenant.id))?.status === 'done')
    await tenant.refresh()
    assert.equal(tenant.status, 'active')
    assert.equal((await provisioningRow(tenant.id)).attempts, 2)
  })
})
