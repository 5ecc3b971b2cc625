import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'
import { Membership } from '#modules/identity/index'
import type { ConversationAssignedEvent } from '#modules/inbox/index'
import { makeMember } from '#tests/helpers/users'
import { useWorkers } from '#tests/helpers/queue'
import { signIn } from '#tests/functional/workspace/member_browser'
import {
  makeWhatsAppTenant,
  messages,
  postWebhook,
  waId,
  waitFor,
  webhook,
  type WhatsAppTenant,
} from '#tests/helpers/whatsapp'

/*
| Round-robin assignment with member availability, end to end: real
| webhooks, real inbound and default workers, the central channel row as the
| lock between concurrent assignments.
*/

async function setAutoAssign(wa: WhatsAppTenant, on: boolean) {
  await db.rawQuery(
    `update channels set settings = settings || ?::jsonb, last_assigned_user_id = null where id = ?`,
    [JSON.stringify({ autoAssign: on }), wa.channel.id]
  )
}

async function newConversations(wa: WhatsAppTenant, count: number) {
  const customers = Array.from({ length: count }, () => waId())
  await Promise.all(
    customers.map((from) =>
      postWebhook(webhook(wa, { messages: [messages.text({ from })] }), wa.appSecret)
    )
  )
  return customers
}

function assignees(wa: WhatsAppTenant) {
  return wa.context.transaction(
    async (trx) =>
      (await trx.rawQuery(`select id, assignee_id from conversations order by created_at`))
        .rows as Array<{ id: string; assignee_id: string | null }>
  )
}

async function setAvailability(tenantId: string, userId: string, availability: string) {
  await Membership.query()
    .where('tenant_id', tenantId)
    .where('user_id', userId)
    .update({ availability })
}

test.group('Round-robin assignment', (group) => {
  useWorkers(group, ['inbound', 'default'])

  test('new conversations go to online members in turn; busy members and viewers are skipped', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('rr')
    cleanup(wa.cleanup)
    const [first, second, busy, viewer] = [
      await makeMember(wa.tenant.id, 'agent'),
      await makeMember(wa.tenant.id, 'admin'),
      await makeMember(wa.tenant.id, 'agent'),
      await makeMember(wa.tenant.id, 'viewer'),
    ]
    // The workspace's owner (made with the tenant) is on duty elsewhere.
    await Membership.query()
      .where('tenant_id', wa.tenant.id)
      .whereNotIn('user_id', [first.id, second.id, busy.id, viewer.id])
      .update({ availability: 'offline' })
    await setAvailability(wa.tenant.id, busy.id, 'busy')
    await setAutoAssign(wa, true)

    const heard: ConversationAssignedEvent[] = []
    const listener = (event: ConversationAssignedEvent) => {
      if (event.tenantId === wa.tenant.id) heard.push(event)
    }
    emitter.on('conversation:assigned', listener)
    cleanup(() => emitter.off('conversation:assigned', listener))

    await newConversations(wa, 6)
    const rows = await waitFor(async () => {
      const all = await assignees(wa)
      return all.length === 6 && all.every((row) => row.assignee_id) ? all : null
    })
    const counts = new Map<string, number>()
    for (const row of rows) counts.set(row.assignee_id!, (counts.get(row.assignee_id!) ?? 0) + 1)
    // Six conversations at once, two online members: three each, nobody else.
    assert.deepEqual(
      [...counts.entries()].sort(),
      [
        [first.id, 3],
        [second.id, 3],
      ].sort()
    )
    await waitFor(async () => heard.length === 6)
    assert.isTrue(
      heard.every((event) => event.byUserId === null && event.previousAssigneeId === null)
    )
  })

  test('with the setting off, or nobody online, conversations stay unassigned', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('rr-off')
    cleanup(wa.cleanup)
    const agent = await makeMember(wa.tenant.id, 'agent')
    await newConversations(wa, 2)
    await waitFor(async () => (await assignees(wa)).length === 2)

    // Everyone goes offline before the setting turns on: an assignment job of
    // the first two conversations still queued then must find nobody.
    await Membership.query().where('tenant_id', wa.tenant.id).update({ availability: 'offline' })
    await setAutoAssign(wa, true)
    await newConversations(wa, 2)
    await waitFor(async () => (await assignees(wa)).length === 4)
    // Give the assignment jobs time to have run.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    assert.isTrue((await assignees(wa)).every((row) => row.assignee_id === null))

    await setAvailability(wa.tenant.id, agent.id, 'online')
    await newConversations(wa, 1)
    await waitFor(async () => (await assignees(wa)).some((row) => row.assignee_id === agent.id))
  })
})

test.group('Availability', () => {
  test('members set their own availability; viewers cannot; outsiders get 404', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('avail')
    const other = await makeWhatsAppTenant('avail-other')
    cleanup(wa.cleanup)
    cleanup(other.cleanup)
    const agent = await makeMember(wa.tenant.id, 'agent')
    const viewer = await makeMember(wa.tenant.id, 'viewer')
    const outsider = await makeMember(other.tenant.id, 'owner')
    const base = `/t/${wa.tenant.slug}`

    const web = await signIn(agent)
    const page = await web.get(`${base}/contacts`)
    assert.include(page.body, 'name="availability"')
    const changed = await web.submit(`${base}/contacts`, `${base}/availability`, {
      availability: 'busy',
    })
    assert.equal(changed.status, 302)
    const row = await Membership.query()
      .where('tenant_id', wa.tenant.id)
      .where('user_id', agent.id)
      .firstOrFail()
    assert.equal(row.availability, 'busy')
    const after = await web.get(`${base}/contacts`)
    assert.include(after.body, 'data-availability="busy"')

    const invalid = await web.submit(`${base}/contacts`, `${base}/availability`, {
      availability: 'sleeping',
    })
    assert.equal(invalid.status, 302)
    await row.refresh()
    assert.equal(row.availability, 'busy')

    const asViewer = await signIn(viewer)
    const refused = await asViewer.submit(`${base}/contacts`, `${base}/availability`, {
      availability: 'busy',
    })
    assert.equal(refused.status, 403)
    assert.notInclude((await asViewer.get(`${base}/contacts`)).body, 'name="availability"')

    const stranger = await signIn(outsider)
    const hidden = await stranger.submit(
      `/t/${other.tenant.slug}/contacts`,
      `${base}/availability`,
      {
        availability: 'offline',
      }
    )
    assert.equal(hidden.status, 404)
    await row.refresh()
    assert.equal(row.availability, 'busy')
  })
})

test.group('Round-robin setting', () => {
  test('owners and admins switch it per channel; agents cannot; other workspaces get 404', async ({
    assert,
    cleanup,
  }) => {
    const wa = await makeWhatsAppTenant('rr-set')
    const other = await makeWhatsAppTenant('rr-set-other')
    cleanup(wa.cleanup)
    cleanup(other.cleanup)
    const base = `/t/${wa.tenant.slug}`
    const page = `${base}/channels/${wa.channel.id}`
    const action = `${page}/assignment`
    const setting = async () =>
      (await db.rawQuery(`select settings from channels where id = ?`, [wa.channel.id])).rows[0]
        .settings.autoAssign

    const admin = await signIn(await makeMember(wa.tenant.id, 'admin'))
    const on = await admin.submit(page, action, { auto_assign: 'on' })
    assert.equal(on.status, 302)
    assert.equal(on.location, page)
    assert.isTrue(await setting())
    assert.include((await admin.get(page)).body, 'name="auto_assign"')

    const agent = await signIn(await makeMember(wa.tenant.id, 'agent'))
    await agent.get(`${base}/contacts`)
    assert.equal((await agent.post(action, {})).status, 403)
    assert.isTrue(await setting())

    const outsider = await signIn(await makeMember(other.tenant.id, 'owner'))
    await outsider.get(`/t/${other.tenant.slug}/contacts`)
    assert.equal((await outsider.post(action, {})).status, 404)
    assert.isTrue(await setting())

    // An unticked checkbox sends nothing: off.
    await admin.submit(page, action, {})
    assert.isFalse(await setting())
  })
})
