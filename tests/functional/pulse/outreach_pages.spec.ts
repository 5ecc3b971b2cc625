import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { makeMember } from '#tests/helpers/users'
import { signIn } from '#tests/functional/workspace/member_browser'
import { defineContactFields } from '#tests/helpers/contact_fields'
import {
  DateRule,
  NudgeRule,
  CheckinPlan,
  REMINDER_KIND,
  saveDateRule,
  saveCheckinPlan,
} from '#modules/pulse/index'
import { campaignTenant, contact } from './campaign_fixtures.js'
import { clockAt, dueOf, rowsOf } from './outreach_fixtures.js'

type Cleanup = (fn: () => Promise<void>) => void

async function workspace(cleanup: Cleanup, prefix = 'outui') {
  const made = await campaignTenant(cleanup, {}, prefix)
  await defineContactFields(made.context, [{ key: 'policy_end_date', type: 'date' }])
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
  return { ...made, member, base: `/t/${made.tenant.slug}` }
}

test.group('Outreach pages', () => {
  test('an admin builds a nudge rule and a date reminder with plain forms; bad input names the field', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    clockAt(cleanup, '2026-03-01T00:00:00Z')
    const layla = await contact(w.context, {
      timeZone: 'Asia/Dubai',
      attributes: { policy_end_date: '2026-04-15' },
    })
    const web = await signIn(await w.member('admin'))

    const index = await web.get(`${w.base}/outreach`)
    assert.equal(index.status, 200)
    assert.include(index.body, 'Follow-up nudges')

    const bad = await web.submit(`${w.base}/outreach/nudges/new`, `${w.base}/outreach/nudges`, {
      name: '',
      after_hours: '0',
      max_nudges: '2',
      message: 'Any news?',
      final_action: 'label',
      final_label: '',
      quiet_start: '22:30',
      quiet_end: '',
    })
    assert.equal(bad.status, 422)
    assert.include(bad.body, 'A whole number of hours from 1 to 720.')
    assert.include(bad.body, 'id="outreach-quiet_end-error"', 'one end of the quiet hours alone')
    assert.include(bad.body, 'Give both ends of the quiet hours, or leave both empty.')
    assert.include(bad.body, 'value="22:30"')
    assert.include(bad.body, 'Any news?', 'what was typed is kept')
    assert.include(bad.body, 'id="outreach-final_label-error"')

    // A new rule's form offers the campaigns' quiet hours.
    const blank = await web.get(`${w.base}/outreach/nudges/new`)
    assert.include(blank.body, 'name="quiet_start" type="time" value="21:00"')
    assert.include(blank.body, 'name="quiet_end" type="time" value="09:00"')

    const saved = await web.submit(`${w.base}/outreach/nudges/new`, `${w.base}/outreach/nudges`, {
      name: 'Proposal follow-up',
      enabled: 'on',
      label: 'Proposal',
      after_hours: '20',
      max_nudges: '2',
      message: 'Any thoughts, {{contact.name|there}}?',
      template_name: 'policy_notice',
      template_language: 'en',
      template_variables: '{{contact.name|there}}',
      final_action: 'label',
      final_label: 'cold',
      quiet_start: '20:00',
      quiet_end: '08:30',
    })
    assert.equal(saved.status, 302)
    const [rule] = await w.context.transaction((trx) => NudgeRule.query({ client: trx }))
    assert.deepInclude(rule.serialize(), {
      label: 'proposal',
      afterHours: 20,
      maxNudges: 2,
      quietStart: 20 * 60,
      quietEnd: 8 * 60 + 30,
    })
    const edit = await web.get(`${w.base}/outreach/nudges/${rule.id}`)
    assert.include(edit.body, 'value="Proposal follow-up"')
    assert.include(edit.body, 'name="quiet_start" type="time" value="20:00"')
    assert.include(edit.body, 'name="quiet_end" type="time" value="08:30"')

    const reminder = await web.submit(
      `${w.base}/outreach/reminders/new`,
      `${w.base}/outreach/reminders`,
      {
        name: 'Policy renewals',
        enabled: 'on',
        field_key: 'policy_end_date',
        offsets: '-60, -30, -7',
        local_time: '10:00',
        channel_id: w.channel.id,
        message: 'Your policy ends soon.',
        create_task: 'on',
      }
    )
    assert.equal(reminder.status, 302)
    const due = await dueOf(w.context, { kind: REMINDER_KIND, contactId: layla.id })
    assert.lengthOf(due, 2, 'saving the rule schedules every contact’s reminders')

    const badOffsets = await web.submit(
      `${w.base}/outreach/reminders/new`,
      `${w.base}/outreach/reminders`,
      { name: 'x', field_key: 'nope', offsets: '-30, soon', local_time: '25:00' }
    )
    assert.equal(badOffsets.status, 422)
    for (const id of ['field_key', 'offsets', 'local_time', 'message']) {
      assert.include(badOffsets.body, `id="outreach-${id}-error"`)
    }
  })

  test('the Renewals page lists the next 90 days; agents update a status, viewers only read', async ({
    assert,
    cleanup,
  }) => {
    const w = await workspace(cleanup)
    clockAt(cleanup, DateTime.now().toISO()!)
    const day = DateTime.now().plus({ days: 20 }).toISODate()!
    const omar = await contact(w.context, {
      name: 'Omar Renewal',
      attributes: { policy_end_date: day },
    })
    await saveDateRule(w.context, null, {
      name: 'Renewals',
      enabled: true,
      fieldKey: 'policy_end_date',
      offsets: [-7],
      localTime: '10:00',
      channelId: null,
      message: null,
      templateName: null,
      templateLanguage: null,
      templateVariables: [],
      createTask: true,
      taskTitle: null,
    })
    const agent = await signIn(await w.member('agent'))
    const page = await agent.get(`${w.base}/renewals`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'Omar Renewal')
    assert.include(page.body, 'in 20 days')
    const moved = await agent.submit(`${w.base}/renewals`, `${w.base}/renewals/status`, {
      field: 'policy_end_date',
      contact_id: omar.id,
      date: day,
      status: 'in_talks',
    })
    assert.equal(moved.status, 302)
    const [status] = await rowsOf(w.context, 'renewal_statuses')
    assert.equal(status.status, 'in_talks')

    const viewer = await signIn(await w.member('viewer'))
    const seen = await viewer.get(`${w.base}/renewals`)
    assert.include(seen.body, 'In talks')
    assert.notInclude(seen.body, `${w.base}/renewals/status`)
    const refused = await viewer.submit(`${w.base}/renewals`, `${w.base}/renewals/status`, {
      field: 'policy_end_date',
      contact_id: omar.id,
      date: day,
      status: 'lost',
    })
    assert.equal(refused.status, 403)
  })

  test('another workspace can neither see nor change these rules, renewals or clients', async ({
    assert,
    cleanup,
  }) => {
    const home = await workspace(cleanup, 'outa')
    const away = await workspace(cleanup, 'outb')
    clockAt(cleanup, DateTime.now().toISO()!)
    const day = DateTime.now().plus({ days: 10 }).toISODate()!
    const secret = await contact(home.context, {
      name: 'Secret Client',
      attributes: { policy_end_date: day },
    })
    const rule = await saveDateRule(home.context, null, {
      name: 'Home renewals',
      enabled: true,
      fieldKey: 'policy_end_date',
      offsets: [-3],
      localTime: '10:00',
      channelId: null,
      message: null,
      templateName: null,
      templateLanguage: null,
      templateVariables: [],
      createTask: true,
      taskTitle: null,
    })
    const plan = await saveCheckinPlan(home.context, null, {
      name: 'Home coaching',
      enabled: true,
      days: [1, 2, 3, 4, 5],
      localTime: '08:00',
      question: 'Did you train?',
      answers: ['Done', 'Not yet', 'Skip'],
      followUp: null,
      nudgeAfterHours: null,
      nudgeText: null,
      tag: null,
      channelId: null,
      templateName: null,
      templateLanguage: null,
      templateVariables: [],
    })
    const outsider = await signIn(await away.member('owner'))
    // Their own pages do not show the other workspace's data.
    const renewals = await outsider.get(`${away.base}/renewals`)
    assert.notInclude(renewals.body, 'Secret Client')
    const index = await outsider.get(`${away.base}/outreach`)
    assert.notInclude(index.body, 'Home renewals')
    assert.notInclude(index.body, 'Home coaching')
    // The other workspace's records by id, through their own workspace: 404.
    assert.equal((await outsider.get(`${away.base}/outreach/reminders/${rule.id}`)).status, 404)
    assert.equal(
      (await outsider.get(`${away.base}/outreach/checkins/${plan.id}/coach`)).status,
      404
    )
    const change = await outsider.submit(
      `${away.base}/outreach`,
      `${away.base}/outreach/reminders/${rule.id}`,
      { name: 'Hijacked', field_key: 'policy_end_date', offsets: '-1', create_task: 'on' }
    )
    assert.equal(change.status, 404)
    const status = await outsider.submit(`${away.base}/renewals`, `${away.base}/renewals/status`, {
      field: 'policy_end_date',
      contact_id: secret.id,
      date: day,
      status: 'lost',
    })
    assert.equal(status.status, 404)
    const enroll = await outsider.submit(
      `${away.base}/outreach`,
      `${away.base}/outreach/checkins/${plan.id}/enroll`,
      { phone: secret.phone! }
    )
    assert.equal(enroll.status, 404)
    // The home workspace, by its own URL, is not the outsider's at all.
    assert.equal((await outsider.get(`${home.base}/renewals`)).status, 404)
    const unchanged = await home.context.transaction((trx) =>
      DateRule.query({ client: trx }).where('id', rule.id).firstOrFail()
    )
    assert.equal(unchanged.name, 'Home renewals')
    assert.lengthOf(await rowsOf(home.context, 'renewal_statuses'), 0)
    const plans = await away.context.transaction((trx) => CheckinPlan.query({ client: trx }))
    assert.lengthOf(plans, 0)
  })

  test('the pages render in Arabic, right to left', async ({ assert, cleanup }) => {
    const w = await workspace(cleanup, 'outar')
    const web = await signIn(await w.member('owner', 'ar'))
    for (const path of [
      '/outreach',
      '/outreach/nudges/new',
      '/outreach/reminders/new',
      '/outreach/checkins/new',
      '/outreach/pulse',
      '/renewals',
    ]) {
      const page = await web.get(`${w.base}${path}`)
      assert.equal(page.status, 200, path)
      assert.include(page.body, 'dir="rtl"', path)
      assert.notMatch(page.body, /outreach\.[a-z_]+\.[a-z_]+/, `${path} shows a translation key`)
    }
  })
})
