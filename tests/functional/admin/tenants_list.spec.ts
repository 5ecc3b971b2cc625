import { test } from '@japa/runner'
import { makeMember } from '#tests/helpers/users'
import { htmx, makeBareTenants, makeSuperAdmin, signIn, uniquePrefix } from './console_helpers.js'

test.group('Console tenant list', () => {
  test('the full page has the search form, the htmx search box and the list', async ({
    assert,
    cleanup,
  }) => {
    const admin = await makeSuperAdmin(cleanup)
    const prefix = uniquePrefix('lst')
    const [tenant] = await makeBareTenants(cleanup, prefix, 1)
    await makeMember(tenant.id, 'owner')
    await makeMember(tenant.id, 'agent')

    const web = await signIn(admin)
    const response = await web.get(`/admin/tenants?q=${prefix}`)
    assert.equal(response.status, 200)
    const html = response.body
    assert.include(html, '<!DOCTYPE html>')
    assert.include(html, 'hx-trigger="input changed delay:300ms, search"')
    assert.include(html, 'hx-target="#tenant-results"')
    assert.include(html, 'hx-push-url="true"')
    assert.match(html, /<form method="GET" action="\/admin\/tenants"[^>]*>/)
    assert.include(html, `value="${prefix}"`)
    assert.include(html, 'id="tenant-results"')

    const row = html.slice(html.lastIndexOf('<tr>', html.indexOf(`<code>${tenant.slug}</code>`)))
    const rowHtml = row.slice(0, row.indexOf('</tr>'))
    assert.include(rowHtml, `href="/admin/tenants/${tenant.id}"`)
    assert.include(rowHtml, '<span class="badge active">Active</span>')
    assert.include(rowHtml, 'No plan')
    assert.match(rowHtml, /<td>2<\/td>/, 'two members')
  })

  test('with HX-Request the answer is only the list fragment; boosted links get the page', async ({
    assert,
    cleanup,
  }) => {
    const admin = await makeSuperAdmin(cleanup)
    const prefix = uniquePrefix('frag')
    const [tenant] = await makeBareTenants(cleanup, prefix, 1)
    const web = await signIn(admin)

    const response = await htmx(web, 'tenant-results').get(`/admin/tenants?q=${prefix}`)
    assert.equal(response.status, 200)
    const html = response.body
    assert.notInclude(html, '<html')
    assert.notInclude(html, 'hx-trigger')
    assert.match(html.trim(), /^<div id="tenant-results"/)
    assert.include(html, tenant.slug)

    const boosted = await htmx(web, undefined, { 'HX-Boosted': 'true' }).get(
      `/admin/tenants?q=${prefix}`
    )
    assert.include(boosted.body, '<!DOCTYPE html>')
  })

  test('search matches name or slug, case-insensitively', async ({ assert, cleanup }) => {
    const admin = await makeSuperAdmin(cleanup)
    const prefix = uniquePrefix('srch')
    const [tenant] = await makeBareTenants(cleanup, prefix, 1)
    const [other] = await makeBareTenants(cleanup, uniquePrefix('othr'), 1)
    const web = await signIn(admin)

    const bySlug = await web.get(`/admin/tenants?q=${tenant.slug}`)
    assert.include(bySlug.body, tenant.slug)
    assert.notInclude(bySlug.body, other.slug)

    const byName = await htmx(web).get(
      `/admin/tenants?q=${encodeURIComponent(`BARE ${prefix}`.toUpperCase())}`
    )
    assert.include(byName.body, tenant.slug)
    assert.notInclude(byName.body, other.slug)

    const none = await htmx(web).get(`/admin/tenants?q=${prefix}-nothing`)
    assert.include(none.body, 'No tenant matches')
  })

  test('the status filter shows only that status; an unknown status shows all', async ({
    assert,
    cleanup,
  }) => {
    const admin = await makeSuperAdmin(cleanup)
    const prefix = uniquePrefix('stat')
    const [active] = await makeBareTenants(cleanup, prefix, 1, 'active')
    const [suspended] = await makeBareTenants(cleanup, prefix, 1, 'suspended')
    const [provisioning] = await makeBareTenants(cleanup, prefix, 1, 'provisioning')
    const web = await signIn(admin)

    const onlySuspended = await web.get(`/admin/tenants?q=${prefix}&status=suspended`)
    assert.include(onlySuspended.body, suspended.slug)
    assert.notInclude(onlySuspended.body, active.slug)
    assert.include(onlySuspended.body, '<option value="suspended" selected>')

    const onlyProvisioning = await web.get(`/admin/tenants?q=${prefix}&status=provisioning`)
    assert.include(
      onlyProvisioning.body,
      `href="/admin/tenants/${provisioning.id}/progress"`,
      'a tenant being set up links to its progress'
    )
    assert.notInclude(onlyProvisioning.body, active.slug)

    const all = await web.get(`/admin/tenants?q=${prefix}&status=bogus`)
    assert.equal(all.status, 200)
    for (const tenant of [active, suspended, provisioning]) assert.include(all.body, tenant.slug)
  })

  test('20 tenants a page, and page links keep the search and the filter', async ({
    assert,
    cleanup,
  }) => {
    const admin = await makeSuperAdmin(cleanup)
    const prefix = uniquePrefix('page')
    const tenants = await makeBareTenants(cleanup, prefix, 23)
    const web = await signIn(admin)
    const rowsOf = (html: string) => html.split(`<code>${prefix}-`).length - 1

    const first = await web.get(`/admin/tenants?q=${prefix}&status=active`)
    assert.equal(rowsOf(first.body), 20)
    assert.include(first.body, 'Page 1 of 2 (23 in all)')
    assert.include(first.body, `href="/admin/tenants?q=${prefix}&amp;status=active&amp;page=2"`)

    const second = await htmx(web, 'tenant-results').get(
      `/admin/tenants?q=${prefix}&status=active&page=2`
    )
    assert.equal(rowsOf(second.body), 3)
    const shown = tenants.filter((t) => first.body.includes(t.slug) || second.body.includes(t.slug))
    assert.lengthOf(shown, 23, 'every tenant appears on one of the two pages')
  })
})

test.group('Console in Arabic', () => {
  test('an Arabic-speaking admin gets the console right to left, in Arabic', async ({
    assert,
    cleanup,
  }) => {
    const admin = await makeSuperAdmin(cleanup, { locale: 'ar' })
    const web = await signIn(admin)
    for (const url of ['/admin/tenants', '/admin/tenants/create', '/admin/audit', '/admin/plans']) {
      const page = await web.get(url)
      assert.equal(page.status, 200, url)
      assert.include(page.body, 'dir="rtl"')
      assert.include(page.body, 'سجل التدقيق', `${url} has the Arabic menu`)
    }
    assert.include((await web.get('/admin/tenants/create')).body, 'البريد الإلكتروني للمالك')
  })
})
