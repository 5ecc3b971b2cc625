import { test } from '@japa/runner'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, makeUser } from '#tests/helpers/users'
import { latestAudit, makeSuperAdmin, signIn } from './console_helpers.js'

test.group('Console impersonation', () => {
  test('a super admin acts as a member, sees the banner, and comes back to the tenant', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('imp')
    cleanup(remove)
    const agent = await makeMember(tenant.id, 'agent')
    const admin = await makeSuperAdmin(cleanup)
    const web = await signIn(admin)
    const page = `/admin/tenants/${tenant.id}`

    const start = await web.submit(page, `${page}/members/${agent.id}/impersonate`, {})
    assert.equal(start.status, 302)
    assert.equal(start.location, `/t/${tenant.slug}`)
    const started = await latestAudit('user.impersonation_started', agent.id)
    assert.equal(started?.actorUserId, admin.id)
    assert.equal(started?.tenantSlug, tenant.slug)

    const profile = await web.get('/account/profile')
    assert.include(profile.body, `You are signed in as ${agent.email} on behalf of platform staff.`)
    assert.include(profile.body, 'action="/admin/impersonation/stop"')
    assert.equal((await web.get('/admin/tenants')).status, 403, 'the console is closed meanwhile')

    const stop = await web.submit('/account/profile', '/admin/impersonation/stop', {})
    assert.equal(stop.status, 302)
    assert.equal(stop.location, page)
    const stopped = await latestAudit('user.impersonation_stopped', agent.id)
    assert.equal(stopped?.actorUserId, admin.id)
    assert.equal(stopped?.actorLabel, `impersonating ${agent.email}`)

    const back = await web.get(page)
    assert.equal(back.status, 200, 'signed in as the super admin again')
    assert.notInclude(back.body, 'on behalf of platform staff')
  })

  test('staff members and oneself are refused, with nothing logged', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('impno')
    cleanup(remove)
    const admin = await makeSuperAdmin(cleanup)
    const { user: otherStaff, cleanup: removeStaff } = await makeUser({ superAdmin: true })
    cleanup(removeStaff)
    const { addMember } = await import('#modules/identity/index')
    await addMember(tenant.id, { email: otherStaff.email, password: 'irrelevant-here' }, 'admin')
    await addMember(tenant.id, { email: admin.email, password: 'irrelevant-here' }, 'viewer')
    const web = await signIn(admin)
    const page = `/admin/tenants/${tenant.id}`

    const detail = await web.get(page)
    assert.notInclude(detail.body, `/members/${otherStaff.id}/impersonate`)
    assert.notInclude(detail.body, `/members/${admin.id}/impersonate`)

    for (const target of [otherStaff, admin]) {
      const refused = await web.submit(page, `${page}/members/${target.id}/impersonate`, {})
      assert.equal(refused.location, page)
      assert.include(
        (await web.get(page)).body,
        'You cannot impersonate platform staff or yourself.'
      )
      assert.isNull(await latestAudit('user.impersonation_started', target.id))
    }
    assert.equal((await web.get('/admin/tenants')).status, 200, 'still the super admin')
  })

  test('someone who is not a member of that tenant cannot be impersonated through it', async ({
    assert,
    cleanup,
  }) => {
    const a = await makeTenant('impa')
    const b = await makeTenant('impb')
    cleanup(a.cleanup)
    cleanup(b.cleanup)
    const outsider = await makeMember(b.tenant.id, 'owner')
    const web = await signIn(await makeSuperAdmin(cleanup))
    const page = `/admin/tenants/${a.tenant.id}`
    const response = await web.submit(page, `${page}/members/${outsider.id}/impersonate`, {})
    assert.equal(response.status, 404)
  })

  test('stopping when not impersonating just goes home', async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const web = await signIn(user)
    const response = await web.submit('/account/profile', '/admin/impersonation/stop', {})
    assert.equal(response.status, 302)
    assert.equal(response.location, '/')
    assert.equal((await web.get('/account/profile')).status, 200, 'still signed in')
  })
})
