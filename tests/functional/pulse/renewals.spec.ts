import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { Task } from '#modules/hitl/index'
import { updateContact } from '#modules/inbox/index'
import {
  REMINDER_KIND,
  listRenewals,
  saveDateRule,
  setRenewalStatus,
  type DateRuleInput,
} from '#modules/pulse/index'
import { defineContactFields } from '#tests/helpers/contact_fields'
import { customer } from '#tests/helpers/whatsapp'
import { campaignTenant, contact } from './campaign_fixtures.js'
import { clockAt, dueOf, rowsOf, runAt, systemMessages } from './outreach_fixtures.js'

function rule(channelId: string, overrides: Partial<DateRuleInput> = {}): DateRuleInput {
  return {
    name: 'Policy renewals',
    enabled: true,
    fieldKey: 'policy_end_date',
    offsets: [-60, -30, -7],
    localTime: '10:00',
    channelId,
    message: 'Your policy ends on {{contact.policy_end_date}}. Shall we renew?',
    templateName: 'policy_notice',
    templateLanguage: 'en',
    templateVariables: ['{{contact.name|there}}'],
    createTask: true,
    taskTitle: 'Call about renewal',
    ...overrides,
  }
}

async function renewalTenant(cleanup: any) {
  const made = await campaignTenant(cleanup, {}, 'rnw')
  await defineContactFields(made.context, [{ key: 'policy_end_date', type: 'date' }])
  return made
}

const iso = (at: DateTime) => at.toUTC().toISO()

test.group('Date reminders and renewals', () => {
  test('each future offset is due at 10:00 in the contact’s zone; past offsets are not scheduled', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await renewalTenant(cleanup)
    clockAt(cleanup, '2026-03-01T00:00:00Z')
    const layla = await contact(context, {
      timeZone: 'Asia/Dubai',
      attributes: { policy_end_date: '2026-04-15' },
    })
    await saveDateRule(context, null, rule(channel.id))
    const due = await dueOf(context, { kind: REMINDER_KIND, contactId: layla.id })
    // -60 (14 Feb) is past; -30 and -7 at 10:00 Dubai (06:00 UTC).
    assert.deepEqual(
      due.map((row) => iso(row.dueAt)),
      ['2026-03-16T06:00:00.000Z', '2026-04-08T06:00:00.000Z']
    )
    assert.deepEqual(
      due.map((row) => row.dedupeKey.split(':').slice(2).join(':')),
      [`${layla.id}:2026-04-15:-30`, `${layla.id}:2026-04-15:-7`]
    )
  })

  test('a 10:00 reminder stays 10:00 local across the daylight-saving change', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await renewalTenant(cleanup)
    clockAt(cleanup, '2026-03-01T00:00:00Z')
    // London moves to BST on 29 March 2026.
    const ben = await contact(context, {
      timeZone: 'Europe/London',
      attributes: { policy_end_date: '2026-04-20' },
    })
    await saveDateRule(context, null, rule(channel.id, { offsets: [-30, -7] }))
    const due = await dueOf(context, { kind: REMINDER_KIND, contactId: ben.id })
    assert.deepEqual(
      due.map((row) => iso(row.dueAt)),
      ['2026-03-21T10:00:00.000Z', '2026-04-13T09:00:00.000Z']
    )
    assert.deepEqual(
      due.map((row) => row.dueAt.setZone('Europe/London').toFormat('HH:mm')),
      ['10:00', '10:00']
    )
  })

  test('a reminder sends once, opens a call task for the assignee and marks the renewal reminded', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await renewalTenant(cleanup)
    clockAt(cleanup, '2026-03-01T00:00:00Z')
    // A contact who wrote an hour ago: the window is open, the reminder is free-form.
    const { contactId, conversationId } = await customer(context, channel)
    await context.transaction((trx) =>
      trx.rawQuery(
        `update contacts set time_zone = 'Asia/Dubai', attributes = '{"policy_end_date": "2026-04-15"}' where id = ?`,
        [contactId]
      )
    )
    await saveDateRule(context, null, rule(channel.id))

    await runAt(context, DateTime.fromISO('2026-03-16T05:59:00Z'))
    assert.lengthOf(await systemMessages(context, conversationId), 0)
    await runAt(context, DateTime.fromISO('2026-03-16T06:00:00Z'))
    await runAt(context, DateTime.fromISO('2026-03-16T07:00:00Z'))
    const sent = await systemMessages(context, conversationId)
    assert.lengthOf(sent, 1, 'exactly once')
    assert.equal(sent[0].body, 'Your policy ends on 2026-04-15. Shall we renew?')

    const tasks = await context.transaction((trx) =>
      Task.query({ client: trx }).where('kind', 'renewal_call')
    )
    assert.lengthOf(tasks, 1)
    assert.equal(tasks[0].contactId, contactId)
    assert.equal(tasks[0].title, 'Call about renewal')
    assert.equal(tasks[0].assigneeRole, 'agent')

    const [reminder] = await rowsOf(context, 'date_reminders', 'offset_days = -30')
    assert.equal(reminder.status, 'sent')
    assert.equal(reminder.message_id, sent[0].id)
    assert.equal(reminder.task_id, tasks[0].id)

    const renewals = await listRenewals(context, 'policy_end_date')
    assert.lengthOf(renewals, 1)
    assert.equal(renewals[0].status, 'reminded')
    assert.equal(renewals[0].date, '2026-04-15')
    assert.equal(renewals[0].lastReminder?.offset, -30)
  })

  test('changing the date cancels the old reminders and schedules the new date’s', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await renewalTenant(cleanup)
    clockAt(cleanup, '2026-03-01T00:00:00Z')
    const omar = await contact(context, {
      timeZone: 'Asia/Dubai',
      attributes: { policy_end_date: '2026-04-15' },
    })
    await saveDateRule(context, null, rule(channel.id))
    await updateContact(context, omar.id, {
      name: 'Omar',
      optIn: 'unknown',
      attributes: { policy_end_date: '2026-06-30' },
    })
    const rows = await dueOf(context, { kind: REMINDER_KIND, contactId: omar.id })
    const pending = rows.filter((row) => row.status === 'pending')
    const cancelled = rows.filter((row) => row.status === 'cancelled')
    assert.deepEqual(
      pending.map((row) => row.payload.value + ':' + row.payload.offset),
      ['2026-06-30:-60', '2026-06-30:-30', '2026-06-30:-7']
    )
    assert.deepEqual(cancelled.map((row) => row.payload.value + ':' + row.payload.offset).sort(), [
      '2026-04-15:-30',
      '2026-04-15:-7',
    ])
    // Back to the first date: its rows come back (never duplicated).
    await updateContact(context, omar.id, {
      name: 'Omar',
      optIn: 'unknown',
      attributes: { policy_end_date: '2026-04-15' },
    })
    const again = await dueOf(context, { kind: REMINDER_KIND, contactId: omar.id })
    assert.lengthOf(again, 5)
    assert.deepEqual(
      again
        .filter((row) => row.status === 'pending')
        .map((row) => row.payload.value + ':' + row.payload.offset),
      ['2026-04-15:-30', '2026-04-15:-7']
    )
  })

  test('a reminder that already ran is not run again when the date comes back to it', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await renewalTenant(cleanup)
    clockAt(cleanup, '2026-03-01T00:00:00Z')
    const sam = await contact(context, {
      timeZone: 'UTC',
      attributes: { policy_end_date: '2026-04-15' },
    })
    await saveDateRule(context, null, rule(channel.id, { offsets: [-30], message: null }))
    await runAt(context, DateTime.fromISO('2026-03-16T10:00:00Z'))
    const t1 = '2026-03-16T11:00:00Z'
    clockAt(cleanup, t1)
    await updateContact(context, sam.id, {
      name: 'Sam',
      optIn: 'unknown',
      attributes: { policy_end_date: '2026-05-15' },
    })
    await updateContact(context, sam.id, {
      name: 'Sam',
      optIn: 'unknown',
      attributes: { policy_end_date: '2026-04-15' },
    })
    await runAt(context, DateTime.fromISO('2026-03-17T10:00:00Z'))
    const tasks = await context.transaction((trx) =>
      Task.query({ client: trx }).where('kind', 'renewal_call').where('contact_id', sam.id)
    )
    assert.lengthOf(tasks, 1, 'one task for one date and offset')
  })

  test('the Renewals list shows the next 90 days with the status the team sets', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await renewalTenant(cleanup)
    clockAt(cleanup, '2026-03-01T00:00:00Z')
    const soon = await contact(context, {
      name: 'Soon',
      attributes: { policy_end_date: '2026-03-20' },
    })
    const later = await contact(context, {
      name: 'Later',
      attributes: { policy_end_date: '2026-05-29' },
    })
    await contact(context, { name: 'Too far', attributes: { policy_end_date: '2026-06-15' } })
    await contact(context, { name: 'Past', attributes: { policy_end_date: '2026-02-15' } })
    await saveDateRule(context, null, rule(channel.id))
    let rows = await listRenewals(context, 'policy_end_date')
    assert.deepEqual(
      rows.map((row) => [row.name, row.daysLeft, row.status]),
      [
        ['Soon', 19, null],
        ['Later', 89, null],
      ]
    )
    await setRenewalStatus(context, {
      fieldKey: 'policy_end_date',
      contactId: later.id,
      date: '2026-05-29',
      status: 'in_talks',
      userId: null,
    })
    rows = await listRenewals(context, 'policy_end_date', { status: 'in_talks' })
    assert.deepEqual(
      rows.map((row) => row.contactId),
      [later.id]
    )
    // A status for a date the contact no longer has is refused.
    await assert.rejects(() =>
      setRenewalStatus(context, {
        fieldKey: 'policy_end_date',
        contactId: soon.id,
        date: '2026-03-21',
        status: 'renewed',
        userId: null,
      })
    )
  })
})
