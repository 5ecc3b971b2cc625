import { test } from '@japa/runner'
import { enrollInSequence, enrollmentsOfContact, runDueNow } from '#modules/pulse/index'
import { makeMember } from '#tests/helpers/users'
import { signIn } from '#tests/functional/workspace/member_browser'
import { campaignTenant, contact } from './campaign_fixtures.js'
import { activeSequence, at } from './sequence_fixtures.js'

type Cleanup = (fn: () => Promise<void>) => void

async function memberOf(cleanup: Cleanup, tenantId: string, locale: 'en' | 'ar') {
  const user = await makeMember(tenantId, 'agent')
  user.locale = locale
  await user.save()
  cleanup(async () => {
    await user.delete()
  })
  return user
}

test.group('Sequences: the contact’s timeline in the inbox thread', () => {
  test('shows what ran, what was skipped and why, and what is next — in English and Arabic; never to another workspace', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel } = await campaignTenant(cleanup, {}, 'sqp')
    const person = await contact(context, { label: 'lead', channelId: channel.id })
    const sequence = await activeSequence(context, channel.id, [
      { type: 'send', text: 'Only free-form', template: null },
      { type: 'wait', amount: 3, unit: 'days' },
      { type: 'end' },
    ])
    const now = at('2026-03-02T10:00:00Z')
    await enrollInSequence(context, sequence.id, person.id, 'manual', { now })
    await runDueNow({ tenant: context, now })
    const conversation = await context.transaction((trx) =>
      trx.rawQuery(`select id from conversations where contact_id = ?`, [person.id])
    )
    const path = `/t/${tenant.slug}/inbox/${conversation.rows[0].id}`

    const english = await signIn(await memberOf(cleanup, tenant.id, 'en'))
    const page = await english.get(path)
    assert.equal(page.status, 200)
    assert.include(page.body, 'data-thread-sequences')
    assert.include(page.body, 'data-sequence-event="skipped"')
    assert.include(page.body, 'the 24-hour window is closed and the step has no template')
    assert.include(page.body, 'data-sequence-next')
    assert.include(page.body, '2026-03-05 10:00 UTC')

    const arabic = await signIn(await memberOf(cleanup, tenant.id, 'ar'))
    const arPage = await arabic.get(path)
    assert.equal(arPage.status, 200)
    assert.include(arPage.body, 'التسلسلات')
    assert.include(arPage.body, 'نافذة الـ24 ساعة مغلقة ولا يوجد قالب لهذه الخطوة')

    const other = await campaignTenant(cleanup, {}, 'sqq')
    const outsider = await signIn(await memberOf(cleanup, other.tenant.id, 'en'))
    const theirs = await outsider.get(`/t/${other.tenant.slug}/inbox/${conversation.rows[0].id}`)
    assert.notInclude(theirs.body ?? '', 'data-thread-sequences')
    assert.notEqual(theirs.status, 200)
  })

  test('an admin enrolls the contact by hand from the thread and removes it; an agent may not', async ({
    assert,
    cleanup,
  }) => {
    const { tenant, context, channel } = await campaignTenant(cleanup, {}, 'sqp')
    const person = await contact(context, { label: 'lead', channelId: channel.id })
    const sequence = await activeSequence(context, channel.id, [
      { type: 'wait', amount: 2, unit: 'days' },
    ])
    const conversation = await context.transaction((trx) =>
      trx.rawQuery(`select id from conversations where contact_id = ?`, [person.id])
    )
    const path = `/t/${tenant.slug}/inbox/${conversation.rows[0].id}`
    const admin = await makeMember(tenant.id, 'admin')
    cleanup(async () => {
      await admin.delete()
    })
    const web = await signIn(admin)
    const page = await web.get(path)
    assert.include(page.body, 'data-sequence-enroll')
    const fields = {
      sequence_id: sequence.id,
      contact_id: person.id,
      conversation_id: conversation.rows[0].id,
    }
    const enrolled = await web.submit(path, `/t/${tenant.slug}/sequences/enrollments`, fields)
    assert.equal(enrolled.status, 302)
    assert.equal(enrolled.location, path)
    const list = await enrollmentsOfContact(context, person.id)
    assert.equal(list[0].source, 'manual')
    assert.equal(list[0].status, 'active')
    const after = await web.get(path)
    assert.include(after.body, 'data-sequence-remove')
    const removed = await web.submit(path, `/t/${tenant.slug}/sequences/enrollments/remove`, fields)
    assert.equal(removed.status, 302)
    assert.equal((await enrollmentsOfContact(context, person.id))[0].exitReason, 'removed')

    const agent = await signIn(await memberOf(cleanup, tenant.id, 'en'))
    const agentPage = await agent.get(path)
    assert.notInclude(agentPage.body, 'data-sequence-enroll')
    const refused = await agent.submit(path, `/t/${tenant.slug}/sequences/enrollments`, fields)
    assert.equal(refused.status, 403)
    assert.lengthOf(await enrollmentsOfContact(context, person.id), 1)

    // Another workspace's admin, with this contact and sequence: nothing happens here.
    const other = await campaignTenant(cleanup, {}, 'sqq')
    const outsider = await makeMember(other.tenant.id, 'admin')
    cleanup(async () => {
      await outsider.delete()
    })
    const theirs = await signIn(outsider)
    const otherPath = `/t/${other.tenant.slug}/inbox`
    await theirs.submit(otherPath, `/t/${other.tenant.slug}/sequences/enrollments`, fields)
    assert.lengthOf(await enrollmentsOfContact(context, person.id), 1)
  })
})
