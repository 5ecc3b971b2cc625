import { test } from '@japa/runner'
import { findSequence } from '#modules/pulse/index'
import { makeMember } from '#tests/helpers/users'
import { signIn } from '#tests/functional/workspace/member_browser'
import { campaignTenant, contact } from './campaign_fixtures.js'

type Cleanup = (fn: () => Promise<void>) => void

async function workspace(cleanup: Cleanup, prefix: string) {
  const made = await campaignTenant(cleanup, {}, prefix)
  const member = async (role: 'owner' | 'admin' | 'agent' | 'viewer', locale?: 'en' | 'ar') => {
    const user = await makeMember(made.tenant.id, role)
    if (locale) {
      user.locale = locale
      await user.save()
    }
    cleanup(async () => {
      await user.delete()
    })
    return user
  }
  return { ...made, member, base: `/t/${made.tenant.slug}/sequences` }
}

/** The editor's flat rows: a send, a condition with a step in each branch, a wait. */
function sequenceForm(channelId: string, overrides: Record<string, string> = {}) {
  const fields: Record<string, string> = {
    'name': 'Welcome drip',
    'status': 'draft',
    'channel_id': channelId,
    'labels': 'lead, vip',
    'keywords': '',
    'exit_on_reply': '1',
    'goal_label': 'customer',
    'reentry': 'after_cooldown',
    'cooldown_days': '30',
    'quiet_start': '21:00',
    'quiet_end': '09:00',
    'steps[0][id]': 'a1',
    'steps[0][type]': 'send',
    'steps[0][parent]': '',
    'steps[0][branch]': '',
    'steps[0][text]': 'Hello {{contact.name|there}}!',
    'steps[0][template_name]': 'welcome',
    'steps[0][template_language]': 'en',
    'steps[0][template_variables]': '{{contact.name|there}}',
    'steps[1][id]': 'b2',
    'steps[1][type]': 'condition',
    'steps[1][parent]': '',
    'steps[1][branch]': '',
    'steps[1][on]': 'label',
    'steps[1][key]': 'vip',
    'steps[1][op]': 'exists',
    'steps[1][value]': '',
    'steps[2][id]': 'c3',
    'steps[2][type]': 'add_label',
    'steps[2][parent]': 'b2',
    'steps[2][branch]': 'then',
    'steps[2][label]': 'vip-welcomed',
    'steps[3][id]': 'd4',
    'steps[3][type]': 'create_task',
    'steps[3][parent]': 'b2',
    'steps[3][branch]': 'else',
    'steps[3][title]': 'Call {{contact.name|them}}',
    'steps[3][note]': '',
    'steps[4][id]': 'e5',
    'steps[4][type]': 'wait',
    'steps[4][parent]': '',
    'steps[4][branch]': '',
    'steps[4][amount]': '2',
    'steps[4][unit]': 'days',
    'steps[4][until_at]': '',
  }
  return { ...fields, ...overrides }
}

test.group('Sequences: workspace pages', () => {
  test('an admin builds a sequence through the form, sees the problems, edits it and dry-runs it', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup, 'sqe')
    const web = await signIn(await w.member('admin'))

    const empty = await web.get(w.base)
    assert.equal(empty.status, 200)
    assert.include(empty.body, 'data-new-sequence')
    const blank = await web.get(`${w.base}/new`)
    assert.equal(blank.status, 200)
    assert.include(blank.body, 'data-no-steps')

    // The editor's buttons work without JavaScript: add a condition at the end, then a step in its else branch.
    const added = await web.post(w.base, {
      ...sequenceForm(w.channel.id),
      op: 'add:::',
      new_type: 'condition',
    })
    assert.equal(added.status, 200)
    assert.equal((added.body.match(/data-step-type="condition"/g) ?? []).length, 2)
    const newId = [
      ...added.body.matchAll(/data-step="([0-9a-f]+)" data-step-type="condition"/g),
    ][1][1]
    assert.include(added.body, `data-branch="${newId}:else"`)
    const intoBranch = await web.post(w.base, {
      ...sequenceForm(w.channel.id),
      op: 'add::b2:else',
      new_type: 'end',
    })
    assert.include(intoBranch.body, 'data-step-type="end"')
    const moved = await web.post(w.base, { ...sequenceForm(w.channel.id), op: 'up:e5' })
    assert.isBelow(moved.body.indexOf('data-step="e5"'), moved.body.indexOf('data-step="b2"'))
    const removed = await web.post(w.base, { ...sequenceForm(w.channel.id), op: 'remove:b2' })
    assert.notInclude(removed.body, 'data-step="b2"')
    assert.notInclude(removed.body, 'data-step="c3"')

    // Bad input: the form comes back with each field's problem, nothing saved.
    const bad = await web.post(
      w.base,
      sequenceForm(w.channel.id, {
        'name': '',
        'steps[0][text]': '',
        'steps[0][template_name]': '',
        'steps[4][amount]': '0',
        'steps[3][title]': '',
      })
    )
    assert.equal(bad.status, 422)
    assert.include(bad.body, 'data-form-errors')
    assert.include(bad.body, 'data-error="name"')
    assert.include(bad.body, 'data-error="steps.a1.text"')
    assert.include(bad.body, 'Write the message or choose a template')
    assert.include(bad.body, 'data-error="steps.e5.amount"')
    assert.include(bad.body, 'data-error="steps.d4.title"')
    assert.include(bad.body, 'value="vip-welcomed"')

    const created = await web.post(w.base, sequenceForm(w.channel.id))
    assert.equal(created.status, 302)
    const id = created.location!.split('/').pop()!
    const saved = (await findSequence(w.context, id))!
    assert.equal(saved.name, 'Welcome drip')
    assert.deepEqual(
      saved.steps.map((s) => s.type),
      ['send', 'condition', 'wait']
    )
    assert.equal(saved.steps[1].then![0].label, 'vip-welcomed')
    assert.equal(saved.steps[1].else![0].title, 'Call {{contact.name|them}}')
    assert.deepEqual(saved.steps[0].template, {
      name: 'welcome',
      language: 'en',
      variables: ['{{contact.name|there}}'],
    })
    assert.deepEqual(saved.triggers.labels, ['lead', 'vip'])
    assert.equal(saved.reentry, 'after_cooldown')
    assert.equal(saved.cooldownDays, 30)
    assert.deepEqual(saved.goal, { label: 'customer' })

    // The edit page shows the tree and the preview of each send step.
    const page = await web.get(`${w.base}/${id}`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'data-branch="b2:then"')
    assert.include(page.body, 'data-preview-step="1"')
    assert.include(page.body, 'Hello {{contact.name|there}}!')
    assert.include(page.body, 'welcome (en)')

    const updated = await web.post(
      `${w.base}/${id}`,
      sequenceForm(w.channel.id, {
        'name': 'Welcome drip v2',
        'status': 'active',
        'steps[4][amount]': '3',
      })
    )
    assert.equal(updated.status, 302)
    const after = (await findSequence(w.context, id))!
    assert.equal(after.name, 'Welcome drip v2')
    assert.equal(after.status, 'active')
    assert.equal(after.steps[2].amount, 3)
    const list = await web.get(w.base)
    assert.include(list.body, 'Welcome drip v2')
    assert.include(list.body, 'data-status="active"')
    assert.include(list.body, 'label: lead, vip')

    // Dry run: search a contact by name, then see what would be sent when, in its zone.
    const person = await contact(w.context, {
      name: 'Samira Haddad',
      timeZone: 'Asia/Dubai',
    } as any)
    const search = await web.get(`${w.base}/${id}/dry-run?q=Samira`)
    assert.equal(search.status, 200)
    assert.include(search.body, `data-dry-contact="${person.id}"`)
    const run = await web.get(`${w.base}/${id}/dry-run?q=Samira&contact_id=${person.id}`)
    assert.equal(run.status, 200)
    assert.include(run.body, 'data-dry-run')
    assert.include(run.body, 'Asia/Dubai')
    // No open window: the template; not a VIP: the else branch's task; then the wait.
    assert.include(run.body, 'data-dry-entry="send_template"')
    assert.include(run.body, 'data-dry-entry="branch"')
    assert.include(run.body, 'data-dry-entry="task"')
    assert.include(run.body, 'Call Samira Haddad')
    assert.include(run.body, 'data-dry-entry="wait"')
  })

  test('everyone views, only admins and owners change; Arabic texts', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup, 'sqv')
    const admin = await signIn(await w.member('admin'))
    const created = await admin.post(w.base, sequenceForm(w.channel.id))
    const id = created.location!.split('/').pop()!

    const viewer = await signIn(await w.member('viewer', 'ar'))
    const list = await viewer.get(w.base)
    assert.equal(list.status, 200)
    assert.include(list.body, 'التسلسلات')
    assert.include(list.body, 'Welcome drip')
    assert.notInclude(list.body, 'data-new-sequence')
    const page = await viewer.get(`${w.base}/${id}`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'معاينة الرسائل')
    assert.notInclude(page.body, 'data-save')
    assert.equal((await viewer.get(`${w.base}/new`)).status, 403)
    assert.equal(
      (await viewer.post(`${w.base}/${id}`, sequenceForm(w.channel.id, { name: 'X' }))).status,
      403
    )
    assert.equal((await viewer.post(w.base, sequenceForm(w.channel.id))).status, 403)
    assert.equal((await viewer.get(`${w.base}/${id}/dry-run`)).status, 200)
    assert.equal((await findSequence(w.context, id))!.name, 'Welcome drip')
  })

  test('another workspace gets 404 on every page of a sequence', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup, 'sqi')
    const admin = await signIn(await w.member('owner'))
    const created = await admin.post(w.base, sequenceForm(w.channel.id))
    const id = created.location!.split('/').pop()!
    const person = await contact(w.context, { name: 'Hidden Person' })

    const other = await workspace(cleanup, 'sqj')
    const outsider = await signIn(await other.member('owner'))
    assert.equal((await outsider.get(`${other.base}/${id}`)).status, 404)
    assert.equal((await outsider.get(`${other.base}/${id}/dry-run`)).status, 404)
    assert.equal(
      (await outsider.get(`${other.base}/${id}/dry-run?contact_id=${person.id}`)).status,
      404
    )
    assert.equal(
      (
        await outsider.post(
          `${other.base}/${id}`,
          sequenceForm(other.channel.id, { name: 'Hijack' })
        )
      ).status,
      404
    )
    const theirList = await outsider.get(other.base)
    assert.notInclude(theirList.body, 'Welcome drip')
    // Their own sequence's dry run cannot reach our contact either.
    const mine = await outsider.post(other.base, sequenceForm(other.channel.id))
    const mineId = mine.location!.split('/').pop()!
    const probe = await outsider.get(`${other.base}/${mineId}/dry-run?contact_id=${person.id}`)
    assert.equal(probe.status, 200)
    assert.notInclude(probe.body, 'data-dry-run')
    assert.notInclude(probe.body, 'Hidden Person')
    assert.equal((await findSequence(w.context, id))!.name, 'Welcome drip')
    // Signed out of the workspace entirely: the outsider's session on our slug is refused.
    assert.notEqual((await outsider.get(`${w.base}/${id}`)).status, 200)
  })
})
