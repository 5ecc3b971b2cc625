import { test } from '@japa/runner'
import { suspendTenant, systemActor, softDeleteTenant } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'

test.group('Tenant resolution', () => {
  test('resolves /t/<slug> and renders the tenant', async ({ client, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('path')
    cleanup(remove)
    const response = await client.get(`/t/${tenant.slug}`)
    response.assertStatus(200)
    response.assertTextIncludes(tenant.name)
  })

  test('resolves <slug>.<APP_DOMAIN> from the Host header', async ({ client, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('host')
    cleanup(remove)
    const response = await client.get('/health').header('host', `${tenant.slug}.localhost`)
    response.assertStatus(200)
    response.assertBodyContains({ tenant: tenant.slug, status: 'active' })
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
  })

  test('a suspended tenant says so: a page for browsers, 423 for JSON clients', async ({
    client,
    cleanup,
  }) => {
    const { tenant, cleanup: remove } = await makeTenant('susp')
    cleanup(remove)
    await suspendTenant(tenant, systemActor)

    const page = await client.get(`/t/${tenant.slug}`).header('accept', 'text/html')
    page.assertStatus(423)
    page.assertTextIncludes(`${tenant.name} is suspended`)

    const json = await client.get(`/t/${tenant.slug}/health`).header('accept', 'application/json')
    json.assertStatus(423)
    json.assertBodyContains({ error: { code: 'tenant_suspended' } })
  })

  test('a soft-deleted tenant is not found', async ({ client, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('softdel')
    cleanup(remove)
    await softDeleteTenant(tenant, systemActor)
    const response = await client
      .get(`/t/${tenant.slug}/health`)
      .header('accept', 'application/json')
    response.assertStatus(404)
  })
})
