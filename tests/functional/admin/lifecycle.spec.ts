import { test } from '@japa/runner'
import { Plan } from '#modules/billing/index'
import { Tenant } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember } from '#tests/helpers/users'
import { latestAudit, makeSuperAdmin, signIn } from './console_helpers.js'

test.group('Console tenant lifecycle', () => {
  test('the tenant page shows status, schema, members and only the valid actions', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('page')
    cleanup(remove)
    const owner = await makeMember(tenant.id, 'owner')
    const web = await signIn(await makeSuperAdmin(cleanup))

    const page = await web.get(`/admin/tenants/${tenant.id}`)
    assert.equal(page.status, 200)
    await tenant.refresh()
    assert.include(page.body, tenant.schemaName)
    assert.include(page.body, tenant.schemaVersion!)
    assert.include(page.body, owner.email)
    assert.include(page.body, `/admin/tenants/${tenant.id}/members/${owner.id}/impersonate`)
    assert.include(page.body, 'tenant.created', 'recent audit entries')
    assert.include(page.body, `action="/admin/tenants/${tenant.id}/suspend"`)
    assert.include(page.body, `action="/admin/tenants/${tenant.id}/delete"`)
    assert.include(page.body, `pattern="${tenant.slug}"`)
    for (const hidden of ['reactivate', 'restore', 'destroy']) {
      assert.notInclude(page.body, `action="/admin/tenants/${tenant.id}/${hidden}"`)
    }
  })

  test('suspend needs the slug typed; a wrong one changes nothing and says so', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('susp')
    cleanup(remove)
    const admin = await makeSuperAdmin(cleanup)
    const web = await signIn(admin)
    const page = `/admin/tenants/${tenant.id}`

    const wrong = await web.submit(page, `${page}/suspend`, {
      confirm_suspend: 'not-the-slug',
      reason: 'unpaid',
    })
    assert.equal(wrong.status, 302)
    const after = await web.get(page)
    assert.include(after.body, 'the confirmation did not match')
    assert.include(after.body, `Type ${tenant.slug} exactly to confirm.`)
    await tenant.refresh()
    assert.equal(tenant.status, 'active')

    const right = await web.submit(page, `${page}/suspend`, {
      confirm_suspend: tenant.slug,
      reason: 'unpaid invoices',
    })
    assert.equal(right.location, page)
    await tenant.refresh()
    assert.equal(tenant.status, 'suspended')
    const audit = await latestAudit('tenant.suspended', tenant.id)
    assert.equal(audit?.actorLabel, admin.email)
    assert.equal(audit?.metadata.reason, 'unpaid invoices')
    const shown = await web.get(page)
    assert.include(shown.body, 'is suspended.')
    assert.include(shown.body, `action="${page}/reactivate"`)
    assert.notInclude(shown.body, `action="${page}/suspend"`)

    const back = await web.submit(page, `${page}/reactivate`, {})
    assert.equal(back.location, page)
    await tenant.refresh()
    assert.equal(tenant.status, 'active')
    assert.exists(await latestAudit('tenant.reactivated', tenant.id))
  })

  test('delete, restore and destroy, each destructive one behind the slug', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('del')
    cleanup(remove)
    const admin = await makeSuperAdmin(cleanup)
    const web = await signIn(admin)
    const page = `/admin/tenants/${tenant.id}`

    await web.submit(page, `${page}/delete`, { confirm_delete: tenant.slug.toUpperCase() })
    await tenant.refresh()
    assert.equal(tenant.status, 'active', 'the confirmation is exact')

    await web.submit(page, `${page}/delete`, { confirm_delete: tenant.slug })
    await tenant.refresh()
    assert.equal(tenant.status, 'deleted')
    assert.equal((await latestAudit('tenant.deleted', tenant.id))?.actorLabel, admin.email)

    await web.submit(page, `${page}/restore`, {})
    await tenant.refresh()
    assert.equal(tenant.status, 'active')
    assert.exists(await latestAudit('tenant.restored', tenant.id))

    await web.submit(page, `${page}/delete`, { confirm_delete: tenant.slug })
    const deletedPage = await web.get(page)
    assert.include(deletedPage.body, `action="${page}/restore"`)
    assert.include(deletedPage.body, `action="${page}/destroy"`)

    await web.submit(page, `${page}/destroy`, { confirm_destroy: 'nope' })
    assert.exists(await Tenant.find(tenant.id), 'a wrong confirmation destroys nothing')

    const gone = await web.submit(page, `${page}/destroy`, { confirm_destroy: tenant.slug })
    assert.equal(gone.location, '/admin/tenants')
    assert.isNull(await Tenant.find(tenant.id))
    const audit = await latestAudit('tenant.destroyed', tenant.id)
    assert.equal(audit?.actorLabel, admin.email)
    assert.include((await web.get('/admin/tenants')).body, 'and all its data are gone.')
  })

  test('an action the status does not allow is a flash message, not an error page', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('refuse')
    cleanup(remove)
    const web = await signIn(await makeSuperAdmin(cleanup))
    const page = `/admin/tenants/${tenant.id}`

    const restore = await web.submit(page, `${page}/restore`, {})
    assert.equal(restore.status, 302)
    assert.equal(restore.location, page)
    const shown = await web.get(page)
    assert.include(shown.body, 'Nothing changed: Only a deleted tenant can be restored')
    await tenant.refresh()
    assert.equal(tenant.status, 'active')
  })

  test('the plan can be changed from the tenant page, audited', async ({ assert, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('plan')
    cleanup(remove)
    const plan = await Plan.create({
      slug: `p-${tenant.slug}`,
      name: 'Growth test',
      isDefault: false,
    })
    cleanup(async () => {
      await plan.delete()
    })
    const web = await signIn(await makeSuperAdmin(cleanup))
    const page = `/admin/tenants/${tenant.id}`

    const changed = await web.submit(page, `${page}/plan`, { plan_id: plan.id })
    assert.equal(changed.location, page)
    await tenant.refresh()
    assert.equal(tenant.planId, plan.id)
    const audit = await latestAudit('tenant.plan_changed', tenant.id)
    assert.equal(audit?.metadata.to, plan.id)
    assert.include((await web.get(page)).body, 'Growth test')

    await web.submit(page, `${page}/plan`, { plan_id: '00000000-0000-4000-8000-000000000000' })
    await tenant.refresh()
    assert.equal(tenant.planId, plan.id, 'an unknown plan is refused')
    assert.include((await web.get(page)).body, 'Choose a plan from the list.')
  })
})
