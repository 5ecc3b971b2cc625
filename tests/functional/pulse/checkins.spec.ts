import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { fixClock } from '#app/clock'
import {
  CHECKIN_KIND,
  CHECKIN_NUDGE_KIND,
  coachBoard,
  enrollContact,
  saveCheckinPlan,
  type CheckinPlanInput,
} from '#modules/pulse/index'
import {
  customer,
  postWebhook,
  startInboundWorkers,
  unix,
  waitFor,
  wamid,
  webhook,
} from '#tests/helpers/whatsapp'
import { campaignTenant } from './campaign_fixtures.js'
import { clockAt, dueOf, rowsOf, runAt, systemMessages } from './outreach_fixtures.js'

function plan(overrides: Partial<CheckinPlanInput> = {}): CheckinPlanInput {
  return {
    name: 'Morning accountability',
    enabled: true,
    days: [1, 2, 3, 4, 5],
    localTime: '08:00',
    question: 'Did you do your 20 minutes today?',
    answers: ['Done', 'Not yet', 'Skip'],
    followUp: 'What got in the way?',
    nudgeAfterHours: null,
    nudgeText: null,
    tag: null,
    channelId: null,
    templateName: null,
    templateLanguage: null,
    templateVariables: [],
    ...overrides,
  }
}

function tapped(from: string, id: string, title: string) {
  return {
    from,
    id: wamid(),
    timestamp: unix(),
    type: 'interactive',
    interactive: { type: 'button_reply', button_reply: { id, title } },
  }
}

function typed(from: string, body: string) {
  return { from, id: wamid(), timestamp: unix(), type: 'text', text: { body } }
}

async function client(context: any, channel: any, timeZone: string) {
  const made = await customer(context, channel)
  await context.transaction((trx: any) =>
    trx.rawQuery(`update contacts set time_zone = ?, name = 'Layla' where id = ?`, [
      timeZone,
      made.contactId,
    ])
  )
  return made
}

test.group('Daily check-ins', () => {
  test('asked on the plan’s days at the local time with reply buttons; taps are answers; streaks count', async ({
    assert,
    cleanup,
  }) => {
    const made = await campaignTenant(cleanup, {}, 'chk')
    const { context, channel } = made
    const workers = await startInboundWorkers()
    cleanup(() => workers.stop())
    // A Sunday morning in Dubai: the first check-in is Monday 08:00 there (04:00 UTC).
    clockAt(cleanup, '2026-12-06T10:00:00+04:00')
    const saved = await saveCheckinPlan(context, null, plan())
    const layla = await client(context, channel, 'Asia/Dubai')
    await enrollContact(context, saved.id, layla.contactId)
    const [first] = await dueOf(context, { kind: CHECKIN_KIND, contactId: layla.contactId })
    assert.equal(first.dueAt.toUTC().toISO(), '2026-12-07T04:00:00.000Z')

    await runAt(context, DateTime.fromISO('2026-12-07T04:00:00Z'))
    const [question] = await systemMessages(context, layla.conversationId)
    assert.equal(question.type, 'interactive')
    const buttons = (question.payload as any).content.buttons as Array<{
      id: string
      title: string
    }>
    assert.deepEqual(
      buttons.map((b) => b.title),
      ['Done', 'Not yet', 'Skip']
    )
    const [monday] = await rowsOf(context, 'checkins')
    assert.equal(monday.status, 'sent')
    assert.equal(buttons[0].id, `checkin:${monday.id}:0`)
    // The next one is already scheduled: Tuesday 08:00 local.
    const next = (await dueOf(context, { kind: CHECKIN_KIND, contactId: layla.contactId })).find(
      (row) => row.status === 'pending'
    )
    assert.equal(next?.dueAt.toUTC().toISO(), '2026-12-08T04:00:00.000Z')

    const from = layla.phone.slice(1)
    const release = fixClock('2026-12-07T04:10:00Z')
    try {
      await postWebhook(
        webhook(made, { messages: [tapped(from, buttons[0].id, 'Done')] }),
        made.appSecret
      )
      await waitFor(async () => (await rowsOf(context, 'checkins'))[0].status === 'answered')
    } finally {
      release()
    }
    const [answered] = await rowsOf(context, 'checkins')
    assert.equal(answered.answer, 'Done')
    assert.equal(answered.answer_index, 0)
    // "Done" needs no follow-up question.
    assert.lengthOf(await systemMessages(context, layla.conversationId), 1)

    // Tuesday goes unanswered; Wednesday is answered by typing the button's word.
    await runAt(context, DateTime.fromISO('2026-12-08T04:00:00Z'))
    await runAt(context, DateTime.fromISO('2026-12-09T04:00:00Z'))
    const wednesday = fixClock('2026-12-09T05:00:00Z')
    try {
      await postWebhook(webhook(made, { messages: [typed(from, 'done')] }), made.appSecret)
      await waitFor(async () =>
        (await rowsOf(context, 'checkins', `day = '2026-12-09'`))[0]?.status === 'answered'
          ? true
          : null
      )
      const [row] = await coachBoard(context, saved.id)
      assert.equal(row.today?.answer, 'Done')
      assert.equal(row.streak, 1, 'the unanswered Tuesday broke the run')
      assert.deepEqual(row.week, { asked: 3, done: 2 })
      assert.isFalse(row.quiet)
    } finally {
      wednesday()
    }
  })

  test('an unanswered check-in gets one nudge; an answer other than the first gets the follow-up', async ({
    assert,
    cleanup,
  }) => {
    const made = await campaignTenant(cleanup, {}, 'chk')
    const { context, channel } = made
    const workers = await startInboundWorkers()
    cleanup(() => workers.stop())
    clockAt(cleanup, '2026-12-06T10:00:00+04:00')
    const saved = await saveCheckinPlan(
      context,
      null,
      plan({ nudgeAfterHours: 3, nudgeText: 'Just a reminder: how did it go?' })
    )
    const layla = await client(context, channel, 'Asia/Dubai')
    await enrollContact(context, saved.id, layla.contactId)
    await runAt(context, DateTime.fromISO('2026-12-07T04:00:00Z'))
    await runAt(context, DateTime.fromISO('2026-12-07T06:59:00Z'))
    assert.lengthOf(await systemMessages(context, layla.conversationId), 1)
    await runAt(context, DateTime.fromISO('2026-12-07T07:00:00Z'))
    await runAt(context, DateTime.fromISO('2026-12-07T09:00:00Z'))
    const sent = await systemMessages(context, layla.conversationId)
    assert.lengthOf(sent, 2, 'one nudge')
    assert.equal(sent[1].body, 'Just a reminder: how did it go?')

    const [checkin] = await rowsOf(context, 'checkins')
    const release = fixClock('2026-12-07T09:30:00Z')
    try {
      await postWebhook(
        webhook(made, {
          messages: [tapped(layla.phone.slice(1), `checkin:${checkin.id}:1`, 'Not yet')],
        }),
        made.appSecret
      )
      await waitFor(async () => (await systemMessages(context, layla.conversationId)).length === 3)
    } finally {
      release()
    }
    const all = await systemMessages(context, layla.conversationId)
    assert.equal(all[2].body, 'What got in the way?')
    const [row] = await rowsOf(context, 'checkins')
    assert.equal(row.answer, 'Not yet')
    const nudges = await dueOf(context, { kind: CHECKIN_NUDGE_KIND })
    assert.lengthOf(nudges, 1)
  })

  test('a 07:00 check-in stays 07:00 local across the daylight-saving change', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'chk')
    // Europe/London moves to summer time on Sunday 29 March 2026.
    clockAt(cleanup, '2026-03-27T12:00:00Z')
    const saved = await saveCheckinPlan(
      context,
      null,
      plan({ days: [1, 2, 3, 4, 5, 6, 7], localTime: '07:00' })
    )
    const ben = await client(context, channel, 'Europe/London')
    await enrollContact(context, saved.id, ben.contactId)
    await runAt(context, DateTime.fromISO('2026-03-28T07:00:00Z'))
    await runAt(context, DateTime.fromISO('2026-03-29T06:00:00Z'))
    await runAt(context, DateTime.fromISO('2026-03-30T06:00:00Z'))
    const rows = await dueOf(context, { kind: CHECKIN_KIND, contactId: ben.contactId })
    assert.deepEqual(
      rows.map((row) => [
        row.dueAt.toUTC().toISO(),
        row.dueAt.setZone('Europe/London').toFormat('HH:mm'),
        row.status,
      ]),
      [
        ['2026-03-28T07:00:00.000Z', '07:00', 'done'],
        ['2026-03-29T06:00:00.000Z', '07:00', 'done'],
        ['2026-03-30T06:00:00.000Z', '07:00', 'done'],
        ['2026-03-31T06:00:00.000Z', '07:00', 'pending'],
      ]
    )
    assert.lengthOf(await systemMessages(context, ben.conversationId), 3)
  })

  test('a plan with a tag enrolls its tagged contacts, and the coach’s page shows who went quiet', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'chk')
    clockAt(cleanup, '2026-12-06T10:00:00+04:00')
    const quiet = await client(context, channel, 'Asia/Dubai')
    await context.transaction((trx) =>
      trx.rawQuery(`update contacts set tags = '{coaching}' where id = ?`, [quiet.contactId])
    )
    const saved = await saveCheckinPlan(context, null, plan({ tag: 'Coaching' }))
    const enrolled = await rowsOf(context, 'checkin_enrollments')
    assert.deepEqual(
      enrolled.map((row) => row.contact_id),
      [quiet.contactId]
    )
    for (const day of ['07', '08', '09']) {
      await runAt(context, DateTime.fromISO(`2026-12-${day}T04:00:00Z`))
    }
    const release = fixClock('2026-12-10T10:00:00+04:00')
    try {
      const [row] = await coachBoard(context, saved.id)
      assert.isTrue(row.quiet, 'three asked, none answered')
      assert.equal(row.streak, 0)
    } finally {
      release()
    }
  })
})
