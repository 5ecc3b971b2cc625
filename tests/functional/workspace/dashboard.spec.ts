import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { Message, addSandboxChannel, addWebchatChannel } from '#modules/channels/index'
import { Contact, Conversation } from '#modules/inbox/index'
import { readAssistantSettings, saveAssistantSettings } from '#modules/brain/index'
import { newLinkToken } from '#modules/identity/index'
import { systemActor } from '#modules/tenancy/index'
import { customerSays, learnText } from '#tests/helpers/brain'
import { makeTenant, withoutPlan } from '#tests/helpers/tenants'
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

  test('getting started follows real state: sandbox, knowledge, assistant, a channel, the team', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, cleanup: remove } = await makeTenant('dash')
    cleanup(remove)
    await withoutPlan(tenant)
    const owner = await makeMember(tenant.id, 'owner')
    cleanup(() => owner.delete())
    const web = await signIn(owner)
    const steps = (body: string) =>
      [...body.matchAll(/data-step="(\w+)" data-done="(true|false)"/g)].map(
        (m) => `${m[1]}:${m[2]}`
      )

    let page = await web.get(`/t/${tenant.slug}`)
    assert.deepEqual(steps(page.body), [
      'sandbox:false',
      'knowledge:false',
      'assistant:false',
      'connect:false',
      'team:false',
    ])
    assert.include(page.body, '0 of 5 steps done.')
    // Before every step is done, the list comes before the figures.
    assert.isBelow(
      page.body.indexOf('id="getting-started"'),
      page.body.indexOf('id="workspace-stats"')
    )
    for (const path of ['/sandbox', '/knowledge/new', '/assistant', '/channels', '/team']) {
      assert.include(page.body, `href="/t/${tenant.slug}${path}" class="button" data-step-action`)
    }

    // A sandbox channel alone is not trying it: a customer has to write.
    const sandbox = await addSandboxChannel(tenant, systemActor, 'Sandbox')
    page = await web.get(`/t/${tenant.slug}`)
    assert.include(page.body, 'data-step="sandbox" data-done="false"')
    await customerSays(context, sandbox.id, 'Hello from the sandbox')
    await learnText(context, 'Prices', 'A car policy costs 100 a year.')
    page = await web.get(`/t/${tenant.slug}`)
    assert.deepEqual(steps(page.body).slice(0, 3), [
      'sandbox:true',
      'knowledge:true',
      'assistant:false',
    ])

    await saveAssistantSettings(
      context,
      sandbox.id,
      { ...(await readAssistantSettings(context, sandbox.id)), enabled: true },
      null
    )
    await addWebchatChannel(tenant, { name: 'Site chat' }, systemActor)
    await pendingInvitation(tenant.id, 'colleague@example.test')
    page = await web.get(`/t/${tenant.slug}`)
    assert.deepEqual(steps(page.body), [
      'sandbox:true',
      'knowledge:true',
      'assistant:true',
      'connect:true',
      'team:true',
    ])
    assert.include(page.body, '5 of 5 steps done.')
    // Done: the figures come first.
    assert.isAbove(
      page.body.indexOf('id="getting-started"'),
      page.body.indexOf('id="workspace-stats"')
    )
  })

  test('figures: today, open, needing a person and the average first response', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, cleanup: remove } = await makeTenant('dash')
    cleanup(remove)
    const owner = await makeMember(tenant.id, 'owner')
    cleanup(() => owner.delete())
    const sandbox = await addSandboxChannel(tenant, systemActor, 'Sandbox')
    const now = DateTime.now()
    await context.transaction(async (trx) => {
      const people = [
        ['+15550100001', { needsPersonAt: now }, 90],
        ['+15550100002', { status: 'pending' as const }, 30],
        ['+15550100003', { createdAt: now.minus({ days: 2 }), status: 'resolved' as const }, null],
      ] as const
      for (const [phone, extra, replyAfter] of people) {
        const contact = await Contact.create({ phone, waId: phone.slice(1) }, { client: trx })
        const conversation = await Conversation.create(
          { contactId: contact.id, channelId: sandbox.id, status: 'open', ...extra },
          { client: trx }
        )
        const base = {
          conversationId: conversation.id,
          contactId: contact.id,
          channelId: sandbox.id,
        }
        const asked = conversation.createdAt
        await Message.create(
          {
            ...base,
            direction: 'inbound',
            type: 'text',
            body: 'Hi',
            status: 'received',
            authorType: 'contact',
            createdAt: asked,
          },
          { client: trx }
        )
        if (replyAfter !== null) {
          // A note first: it is not a reply to the customer.
          await Message.create(
            {
              ...base,
              direction: 'outbound',
              type: 'text',
              body: 'note',
              isNote: true,
              status: 'sent',
              authorType: 'agent',
              createdAt: asked.plus({ seconds: 5 }),
            },
            { client: trx }
          )
          await Message.create(
            {
              ...base,
              direction: 'outbound',
              type: 'text',
              body: 'Hello!',
              status: 'sent',
              authorType: 'agent',
              createdAt: asked.plus({ seconds: replyAfter }),
            },
            { client: trx }
          )
        }
      }
    })

    const web = await signIn(owner)
    const page = await web.get(`/t/${tenant.slug}/dashboard/stats`)
    assert.equal(stat(page.body, 'today'), 2)
    assert.equal(stat(page.body, 'open'), 1)
    assert.equal(stat(page.body, 'needs_person'), 1)
    assert.include(page.body, 'data-stat="first_response" data-seconds="60"')
    assert.include(page.body, `href="/t/${tenant.slug}/inbox?view=needs_person"`)
  })

  test('"Welcome back" only for someone who has signed in before', async ({ assert, cleanup }) => {
    const { tenant, cleanup: remove } = await makeTenant('dash')
    cleanup(remove)
    const owner = await makeMember(tenant.id, 'owner')
    cleanup(() => owner.delete())
    const first = await (await signIn(owner)).get(`/t/${tenant.slug}`)
    assert.include(first.body, `Welcome, ${owner.name}.`)
    assert.notInclude(first.body, 'Welcome back')
    const again = await (await signIn(owner)).get(`/t/${tenant.slug}`)
    assert.include(again.body, `Welcome back, ${owner.name}.`)
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
