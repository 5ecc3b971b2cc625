import { test } from '@japa/runner'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, makeUser } from '#tests/helpers/users'
import { WebSession } from '#tests/helpers/web_session'
import { makeSuperAdmin, signIn } from './console_helpers.js'

const CONSOLE_PAGES = ['/admin/tenants', '/admin/tenants/create', '/admin/audit', '/admin/plans']

test.group('Console access', () => {
  test('anonymous visitors are sent to sign in, and come back afterwards', async ({ assert }) => {
    const web = new WebSession()
    for (const url of CONSOLE_PAGES) {
      const response = await web.get(url)
      assert.equal(response.status, 302)
      assert.equal(response.location, `/login?next=${encodeURIComponent(url)}`)
    }
    const post = await web.submit('/login', '/admin/tenants', { name: 'x' })
    assert.equal(post.status, 302)
    assert.equal(post.location, '/login')
  })

  test('tenant owners and agents get 403 on every console page and action', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('acl')
    cleanup(remove)
    const owner = await makeMember(tenant.id, 'owner')
    const agent = await makeMember(tenant.id, 'agent')
    for (const user of [owner, agent]) {
      const web = await signIn(user)
      for (const url of [...CONSOLE_PAGES, `/admin/tenants/${tenant.id}`]) {
        const response = await web.get(url)
        assert.equal(response.status, 403, `${user.email} on ${url}`)
      }
      const suspend = await web.submit('/account/profile', `/admin/tenants/${tenant.id}/suspend`, {
        confirm_suspend: tenant.slug,
      })
      assert.equal(suspend.status, 403)
    }
    await tenant.refresh()
    assert.equal(tenant.status, 'active')
  })

  test('a signed-in user without a tenant gets 403 too', async ({ assert, cleanup }) => {
    const { user, cleanup: remove } = await makeUser()
    cleanup(remove)
    const web = await signIn(user)
    assert.equal((await web.get('/admin/tenants')).status, 403)
  })

  test('/admin opens the tenant list for a super admin', async ({ assert, cleanup }) => {
    const admin = await makeSuperAdmin(cleanup)
    const web = await signIn(admin)
    const response = await web.get('/admin')
    assert.equal(response.status, 302)
    assert.equal(response.location, '/admin/tenants')
    const list = await web.get('/admin/tenants')
    assert.equal(list.status, 200)
    assert.include(list.body, 'aria-current="page">Tenants</a>')
  })
})
