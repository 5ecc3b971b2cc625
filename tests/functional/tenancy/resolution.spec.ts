import { test } from '@japa/runner'
import { suspendTenant, systemActor, softDeleteTenant } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember } from '#tests/helpers/users'
import { getOnHost, signIn } from '#tests/functional/workspace/member_browser'

test.group('Tenant resolution', () => {
  test('resolves /t/<slug>: an anonymous visitor is sent to sign in and come back', async ({
    client,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('path')
    cleanup(remove)
    const response = await client.get(`/t/${tenant.slug}`).redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', `/login?next=${encodeURIComponent(`/t/${tenant.slug}`)}`)
  })

  test('resolves /t/<slug>: a member sees the workspace dashboard', async ({ assert, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('path')
    cleanup(remove)
    const member = await makeMember(tenant.id, 'agent')
    cleanup(() => member.delete())
    const page = await (await signIn(member)).get(`/t/${tenant.slug}`)
    assert.equal(page.status, 200)
    assert.include(page.body, tenant.name)
    assert.include(page.body, '<h1>Dashboard</h1>')
  })

  test('resolves <slug>.<APP_DOMAIN> from the Host header', async ({ assert, client, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('host')
    cleanup(remove)
    const response = await client.get('/health').header('host', `${tenant.slug}.localhost`)
    response.assertStatus(200)
    response.assertBodyContains({ tenant: tenant.slug, status: 'active' })

    const member = await makeMember(tenant.id, 'viewer')
    cleanup(() => member.delete())
    const home = await getOnHost(await signIn(member), '/', `${tenant.slug}.localhost`)
    assert.equal(home.status, 200)
    assert.include(home.body, tenant.name)
    // Links stay on the subdomain rather than pointing at /t/<slug>.
    assert.include(home.body, 'href="/team"')

    const anonymous = await client.get('/').header('host', `${tenant.slug}.localhost`).redirects(0)
    anonymous.assertStatus(302)
    anonymous.assertHeader('location', '/login?next=%2F')
  })

  test('an unknown tenant is a 404 page for browsers and a JSON 404 for API clients', async ({
    client,
  }) => {
    const page = await client.get('/t/no-such-tenant').header('accept', 'text/html')
    page.assertStatus(404)
    page.assertTextIncludes('Workspace not found')

    const json = await client.get('/t/no-such-tenant/health').header('accept', 'application/json')
    json.assertStatus(404)
    json.assertBody({
      error: { code: 'tenant_not_found', message: 'No workspace exists at this address' },
    })

    const host = await client
      .get('/')
      .header('host', 'no-such-tenant.localhost')
      .header('accept', 'text/html')
    host.assertStatus(404)
    host.assertTextIncludes('Workspace not found')
  })

  test('a suspended tenant says so: a page for browsers, 423 for JSON clients', async ({
    client,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('susp')
    cleanup(remove)
    await suspendTenant(tenant, systemActor)

    const page = await client.get(`/t/${tenant.slug}`).header('accept', 'text/html').redirects(0)
    page.assertStatus(423)
    page.assertTextIncludes(`${tenant.name} is suspended`)

    const json = await client.get(`/t/${tenant.slug}/health`).header('accept', 'application/json')
    json.assertStatus(423)
    json.assertBodyContains({ error: { code: 'tenant_suspended' } })
  })

  test('a soft-deleted tenant is not found, even for its members', async ({
    assert,
    client,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('softdel')
    cleanup(remove)
    const member = await makeMember(tenant.id, 'owner')
    cleanup(() => member.delete())
    const web = await signIn(member)
    await softDeleteTenant(tenant, systemActor)
    const response = await client
      .get(`/t/${tenant.slug}/health`)
      .header('accept', 'application/json')
    response.assertStatus(404)

    const page = await web.get(`/t/${tenant.slug}`)
    assert.equal(page.status, 404)
    assert.include(page.body, 'Workspace not found')
  })
})
