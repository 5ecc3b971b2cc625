import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { Contact } from '#modules/channels/index'
import { newLinkToken } from '#modules/identity/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember } from '#tests/helpers/users'
import { signIn } from './member_browser.js'

function stat(body: string, name: string) {
  const match = body.match(new RegExp(`data-stat="${name}">(\\d+)<`))
  return match ? Number(match[1]) : null
}

async function addContacts(context: Awaited<ReturnType<typeof makeTenant>>['context'], n: number) {
  await context.transaction(async (trx) => {
    for (let i = 0; i < n; i++) {
      await Contact.create(
        { phone: `+1555${Date.now() % 1_000_000}${i}`, name: `C${i}` },
        { client: trx }
      )
    }
  })
}

async function pendingInvitation(tenantId: string, email: string) {
  await db.table('invitations').insert({
    tenant_id: tenantId,
    email,
    role: 'agent',
    token_hash: newLinkToken().hash,
    expires_at: DateTime.now().plus({ days: 7 }).toJSDate(),
  })
}

test.group('Workspace dashboard', () => {
  test('shows live counts of members, pending invitations and contacts', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, cleanup: remove } = await makeTenant('dash')
    cleanup(remove)
    const owner = await makeMember(tenant.id, 'owner')
    const agent = await makeMember(tenant.id, 'agent')
    cleanup(() => owner.delete())
    cleanup(() => agent.delete())
    await addContacts(context, 3)
    await pendingInvitation(tenant.id, 'pending-one@example.test')
    // Expired and revoked invitations are not pending.
    await db.table('invitations').insert({
      tenant_id: tenant.id,
      email: 'old@example.test',
      role: 'agent',
      token_hash: newLinkToken().hash,
      expires_at: DateTime.now().minus({ days: 1 }).toJSDate(),
    })

    const web = await signIn(owner)
    const page = await web.get(`/t/${tenant.slug}`)
    assert.equal(page.status, 200)
    assert.equal(stat(page.body, 'members'), 2)
    assert.equal(stat(page.body, 'invitations'), 1)
    assert.equal(stat(page.body, 'contacts'), 3)
    assert.include(page.body, `hx-get="/t/${tenant.slug}/dashboard/stats"`)
    assert.include(page.body, 'hx-trigger="every 15s"')
    assert.include(page.body, 'hx-swap="outerHTML"')
    assert.include(page.body, `/t/${tenant.slug}/branding.css`)

    // The fragment is the same card alone, and it reflects changes at once.
    await addContacts(context, 2)
    const fragment = await web.get(`/t/${tenant.slug}/dashboard/stats`)
    assert.equal(fragment.status, 200)
    assert.match(fragment.body.trimStart(), /^<section class="card" id="workspace-stats"/)
    assert.notInclude(fragment.body, '<html')
    assert.equal(stat(fragment.body, 'contacts'), 5)
    assert.equal(stat(fragment.body, 'members'), 2)
    assert.include(fragment.body, 'hx-trigger="every 15s"')
  })

  test('the getting-started list follows branding and invitations', async ({ assert, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('dash')
    cleanup(remove)
    const owner = await makeMember(tenant.id, 'owner')
    cleanup(() => owner.delete())
    const web = await signIn(owner)

    let page = await web.get(`/t/${tenant.slug}`)
    assert.include(page.body, 'data-step="branding" data-done="false"')
    assert.include(page.body, 'data-step="teammate" data-done="false"')
    assert.include(page.body, '0 of 2 steps done.')
    assert.include(page.body, `href="/t/${tenant.slug}/settings/branding"`)

    tenant.primaryColor = '#123456'
    await tenant.save()
    await pendingInvitation(tenant.id, 'colleague@example.test')
    page = await web.get(`/t/${tenant.slug}`)
    assert.include(page.body, 'data-step="branding" data-done="true"')
    assert.include(page.body, 'data-step="teammate" data-done="true"')
    assert.include(page.body, '2 of 2 steps done.')
  })

  test('navigation shows only what the role may open', async ({ assert, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('dash')
    cleanup(remove)
    const owner = await makeMember(tenant.id, 'owner')
    const viewer = await makeMember(tenant.id, 'viewer')
    cleanup(() => owner.delete())
    cleanup(() => viewer.delete())
    const nav = (body: string) => body.slice(body.indexOf('<nav'), body.indexOf('</nav>'))

    const ownerPage = nav((await (await signIn(owner)).get(`/t/${tenant.slug}`)).body)
    assert.include(ownerPage, `href="/t/${tenant.slug}" aria-current="page">Dashboard`)
    assert.include(ownerPage, `href="/t/${tenant.slug}/team"`)
    assert.include(ownerPage, `href="/t/${tenant.slug}/settings/branding"`)

    const viewerWeb = await signIn(viewer)
    const viewerPage = await viewerWeb.get(`/t/${tenant.slug}`)
    assert.include(nav(viewerPage.body), `href="/t/${tenant.slug}/team"`)
    assert.notInclude(nav(viewerPage.body), 'settings/branding')
    // The checklist tells a viewer who can take the steps instead of linking.
    assert.include(viewerPage.body, 'An owner or admin of this workspace can do this.')
    assert.equal((await viewerWeb.get(`/t/${tenant.slug}/settings/branding`)).status, 403)
  })

  test('an anonymous htmx refresh is told to sign in', async ({ client, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('dash')
    cleanup(remove)
    const response = await client
      .get(`/t/${tenant.slug}/dashboard/stats`)
      .header('HX-Request', 'true')
      .redirects(0)
    response.assertStatus(401)
    response.assertHeader(
      'hx-redirect',
      `/login?next=${encodeURIComponent(`/t/${tenant.slug}/dashboard/stats`)}`
    )
  })

  test('a member of one workspace gets 404 on another workspace', async ({ assert, cleanup }) => {
    const a = await makeTenant('dash-a')
    const b = await makeTenant('dash-b')
    cleanup(a.cleanup)
    cleanup(b.cleanup)
    const ownerA = await makeMember(a.tenant.id, 'owner')
    cleanup(() => ownerA.delete())
    await addContacts(b.context, 1)
    const web = await signIn(ownerA)
    for (const path of ['', '/dashboard/stats', '/team', '/settings/branding']) {
      const page = await web.get(`/t/${b.tenant.slug}${path}`)
      assert.equal(page.status, 404, path)
      assert.notInclude(page.body, b.tenant.name)
    }
    assert.equal((await web.get(`/t/${a.tenant.slug}`)).status, 200)
  })
})
