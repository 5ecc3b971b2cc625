import { test } from '@japa/runner'
import emitter from '@adonisjs/core/services/emitter'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { fixClock } from '#app/clock'
import { setConversationLabels } from '#modules/inbox/index'
import {
  claimDue,
  contactTimeline,
  createSequence,
  dueRowsFor,
  dryRunSequence,
  enrollInSequence,
  enrollmentsOfContact,
  runDueNow,
  setSequenceStatus,
  DUE_LEASE_MS,
  type SequenceCompletedEvent,
} from '#modules/pulse/index'
import { Task } from '#modules/hitl/index'
import { prepareSteps } from '#modules/pulse/services/sequence_runner'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import { campaignTenant, contact } from './campaign_fixtures.js'
import {
  activeSequence,
  at,
  customerSays,
  enrollmentRow,
  eventsOf,
  openWindow,
  outbound,
} from './sequence_fixtures.js'

const policyNotice = { name: 'policy_notice', language: 'en', variables: ['{{contact.name}}'] }

test.group('Sequences: steps', (group) => {
  // Template steps go to WhatsApp in bulk, as they run.
  const graph = useFakeGraph(group)
  test('send uses the template outside the window, free-form inside it, and a wait keeps local time', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, {
      label: 'lead',
      channelId: channel.id,
      name: 'Layla',
      timeZone: 'Asia/Dubai',
    })
    const sequence = await activeSequence(context, channel.id, [
      { type: 'send', text: 'Hi {{contact.name}}, welcome!', template: policyNotice },
      { type: 'wait', amount: 2, unit: 'days' },
      { type: 'send', text: 'How is it going, {{contact.name}}?', template: null },
    ])
    const completed: SequenceCompletedEvent[] = []
    const listener = (event: SequenceCompletedEvent) => {
      completed.push(event)
    }
    emitter.on('sequence:completed', listener)
    cleanup(() => emitter.off('sequence:completed', listener))

    const start = at('2026-03-02T10:00:00+04:00')
    const enrollment = await enrollInSequence(context, sequence.id, person.id, 'api', {
      now: start,
    })
    await runDueNow({ tenant: context, now: start })
    let sent = await outbound(context)
    assert.lengthOf(sent, 1)
    assert.equal(sent[0].type, 'template')
    assert.include(sent[0].body!, 'Layla')

    // The customer writes before the wait ends: the window is open then (the
    // channels door checks it on the real clock, so the message is dated now).
    await openWindow(context, person.id, DateTime.now())
    await runDueNow({ tenant: context, now: start.plus({ days: 1, hours: 23, minutes: 59 }) })
    assert.lengthOf(await outbound(context), 1, 'the wait is not over')
    await runDueNow({ tenant: context, now: start.plus({ days: 2 }) })
    sent = await outbound(context)
    assert.lengthOf(sent, 2)
    assert.equal(sent[1].type, 'text')
    assert.equal(sent[1].body, 'How is it going, Layla?')

    const row = await enrollmentRow(context, enrollment.id)
    assert.equal(row.status, 'completed')
    assert.lengthOf(
      completed.filter((e) => e.enrollmentId === enrollment.id),
      1
    )
    const kinds = (await eventsOf(context, enrollment.id)).map((e) => e.kind)
    assert.deepEqual(kinds, ['enrolled', 'sent', 'waiting', 'sent', 'completed'])
  })

  test('a send with the window closed and no template is skipped, with the reason on the timeline', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, { label: 'lead', channelId: channel.id })
    const sequence = await activeSequence(context, channel.id, [
      { type: 'send', text: 'Only free-form', template: null },
    ])
    const now = at('2026-03-02T10:00:00Z')
    const enrollment = await enrollInSequence(context, sequence.id, person.id, 'manual', { now })
    await runDueNow({ tenant: context, now })
    assert.lengthOf(await outbound(context), 0)
    const events = await eventsOf(context, enrollment.id)
    const skipped = events.find((e) => e.kind === 'skipped')!
    assert.equal(skipped.detail.reason, 'window_closed_no_template')
    const timeline = await contactTimeline(context, person.id)
    assert.equal(
      timeline.past.find((e: any) => e.kind === 'skipped')!.detail.reason,
      'window_closed_no_template'
    )
  })

  test('wait for a reply: the timeout branch without one; the replied branch chooses on the reply text', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const quiet = await contact(context, { label: 'lead', channelId: channel.id })
    const talker = await contact(context, { label: 'lead', channelId: channel.id })
    const sequence = await activeSequence(
      context,
      channel.id,
      [
        {
          type: 'wait_reply',
          amount: 6,
          unit: 'hours',
          replied: [
            {
              type: 'condition',
              on: 'reply_text',
              op: 'contains',
              value: 'yes',
              then: [{ type: 'add_label', label: 'interested' }],
              else: [{ type: 'add_label', label: 'not-now' }],
            },
          ],
          timeout: [{ type: 'create_task', title: 'Call {{contact.name}}', note: 'No answer' }],
        },
        { type: 'set_field', key: 'area', value: 'Marina' },
      ],
      { exitOnReply: true }
    )
    const start = at('2026-03-02T10:00:00Z')
    const a = await enrollInSequence(context, sequence.id, quiet.id, 'api', { now: start })
    const b = await enrollInSequence(context, sequence.id, talker.id, 'api', { now: start })
    await runDueNow({ tenant: context, now: start })
    const conversation = (await enrollmentsOfContact(context, talker.id))[0]
    assert.equal(conversation.status, 'active')
    const talkerConversation = await context.transaction((trx) =>
      trx.rawQuery(`select id from conversations where contact_id = ?`, [talker.id])
    )
    // The reply arrives half an hour in (the app's clock, which the listener reads).
    const release = fixClock(start.plus({ minutes: 30 }))
    try {
      await customerSays(
        context,
        talker.id,
        talkerConversation.rows[0].id,
        channel.id,
        'Yes please!'
      )
    } finally {
      release()
    }
    await runDueNow({ tenant: context, now: start.plus({ hours: 1 }) })
    await runDueNow({ tenant: context, now: start.plus({ hours: 6 }) })

    const labels = await context.transaction((trx) =>
      trx.rawQuery(
        `select contact_id, labels from conversations where contact_id = any(?::uuid[])`,
        [[quiet.id, talker.id]]
      )
    )
    const byContact = new Map<string, string[]>(
      labels.rows.map((r: any) => [r.contact_id, r.labels])
    )
    assert.include(byContact.get(talker.id), 'interested')
    assert.notInclude(byContact.get(quiet.id), 'interested')
    const tasks = await context.transaction((trx) => Task.query({ client: trx }))
    assert.lengthOf(tasks, 1)
    assert.equal(tasks[0].contactId, quiet.id)
    assert.equal(tasks[0].title, 'Call Layla')
    for (const id of [a.id, b.id])
      assert.equal((await enrollmentRow(context, id)).status, 'completed')
    const contacts = await context.transaction((trx) =>
      trx.rawQuery(`select id, attributes from contacts where id = any(?::uuid[])`, [
        [quiet.id, talker.id],
      ])
    )
    for (const row of contacts.rows) assert.equal(row.attributes.area, 'Marina')
    const branches = (await eventsOf(context, b.id)).filter((e) => e.kind === 'branch')
    assert.deepEqual(
      branches.map((e) => e.detail.branch),
      ['replied', 'then']
    )
  })

  test('exit rules: a reply ends the sequence (pending steps cancelled); a goal label ends it at the next step', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const replier = await contact(context, { label: 'lead', channelId: channel.id })
    const goal = await contact(context, { label: 'lead', channelId: channel.id })
    const steps = [
      { type: 'wait', amount: 1, unit: 'days' },
      { type: 'send', text: 'Still there?', template: policyNotice },
    ]
    const sequence = await activeSequence(context, channel.id, steps, {
      exitOnReply: true,
      goal: { label: 'won' },
    })
    const start = at('2026-03-02T10:00:00Z')
    const a = await enrollInSequence(context, sequence.id, replier.id, 'api', { now: start })
    const b = await enrollInSequence(context, sequence.id, goal.id, 'api', { now: start })
    await runDueNow({ tenant: context, now: start })
    const conv = await context.transaction((trx) =>
      trx.rawQuery(`select id, contact_id from conversations where contact_id = any(?::uuid[])`, [
        [replier.id, goal.id],
      ])
    )
    const convOf = new Map<string, string>(conv.rows.map((r: any) => [r.contact_id, r.id]))
    await customerSays(context, replier.id, convOf.get(replier.id)!, channel.id, 'thanks')
    await setConversationLabels(context, convOf.get(goal.id)!, ['lead', 'won'], null)
    await runDueNow({ tenant: context, now: start.plus({ days: 1 }) })
    assert.lengthOf(await outbound(context), 0)
    const rowA = await enrollmentRow(context, a.id)
    const rowB = await enrollmentRow(context, b.id)
    assert.equal(rowA.status, 'exited')
    assert.equal(rowA.exit_reason, 'replied')
    assert.equal(rowB.status, 'exited')
    assert.equal(rowB.exit_reason, 'goal')
    const pending = await dueRowsFor(context, { refId: sequence.id, statuses: ['pending'] })
    assert.lengthOf(pending, 0)
  })

  test('quiet hours hold a send to their end in the contact’s zone', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, {
      label: 'lead',
      channelId: channel.id,
      timeZone: 'Asia/Dubai',
    })
    const sequence = await activeSequence(
      context,
      channel.id,
      [{ type: 'send', text: 'Hello', template: policyNotice }],
      { quiet: { start: '21:00', end: '09:00' } }
    )
    const late = at('2026-03-02T23:00:00+04:00')
    await enrollInSequence(context, sequence.id, person.id, 'api', { now: late })
    await runDueNow({ tenant: context, now: late })
    assert.lengthOf(await outbound(context), 0)
    const [row] = await dueRowsFor(context, { contactId: person.id, statuses: ['pending'] })
    assert.equal(row.dueAt.setZone('Asia/Dubai').toFormat('yyyy-MM-dd HH:mm'), '2026-03-03 09:00')
    await runDueNow({ tenant: context, now: at('2026-03-03T09:00:00+04:00') })
    assert.lengthOf(await outbound(context), 1)
  })

  test('"until Monday 09:00" stays 09:00 in New York across the DST change', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, {
      label: 'lead',
      channelId: channel.id,
      timeZone: 'America/New_York',
    })
    const sequence = await activeSequence(context, channel.id, [
      { type: 'wait', until: { weekdays: ['mon'], at: '09:00' } },
      { type: 'send', text: 'Monday lesson', template: policyNotice },
      { type: 'wait', until: { weekdays: ['mon'], at: '09:00' } },
      { type: 'send', text: 'Next lesson', template: policyNotice },
    ])
    // Friday 2026-03-06 in New York (EST); DST starts Sunday 2026-03-08.
    const friday = at('2026-03-06T12:00:00-05:00')
    await enrollInSequence(context, sequence.id, person.id, 'api', { now: friday })
    await runDueNow({ tenant: context, now: friday })
    const [wait] = await dueRowsFor(context, { contactId: person.id, statuses: ['pending'] })
    assert.equal(wait.dueAt.toUTC().toISO(), '2026-03-09T13:00:00.000Z')
    await runDueNow({ tenant: context, now: at('2026-03-09T12:59:00Z') })
    assert.lengthOf(await outbound(context), 0)
    await runDueNow({ tenant: context, now: at('2026-03-09T13:00:00Z') })
    assert.lengthOf(await outbound(context), 1)
    const [next] = await dueRowsFor(context, { contactId: person.id, statuses: ['pending'] })
    assert.equal(next.dueAt.setZone('America/New_York').toFormat('ccc HH:mm'), 'Mon 09:00')
  })

  test('re-entry: never takes a contact twice; after a cooldown, only once it has passed', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, { label: 'lead', channelId: channel.id })
    const once = await activeSequence(context, channel.id, [{ type: 'end' }])
    const again = await activeSequence(context, channel.id, [{ type: 'end' }], {
      reentry: 'after_cooldown',
      cooldownDays: 7,
    })
    const now = at('2026-03-02T10:00:00Z')
    await enrollInSequence(context, once.id, person.id, 'api', { now })
    await runDueNow({ tenant: context, now })
    await assert.rejects(
      () => enrollInSequence(context, once.id, person.id, 'api', { now }),
      /does not take/
    )
    await enrollInSequence(context, again.id, person.id, 'api', { now })
    await assert.rejects(
      () => enrollInSequence(context, again.id, person.id, 'api', { now }),
      /already/
    )
    await runDueNow({ tenant: context, now })
    await assert.rejects(
      () => enrollInSequence(context, again.id, person.id, 'api', { now: now.plus({ days: 6 }) }),
      /may enter again/
    )
    const back = await enrollInSequence(context, again.id, person.id, 'api', {
      now: now.plus({ days: 7 }),
    })
    assert.equal(back.status, 'active')
  })

  test('triggers: a label added and a keyword enroll; a sequence step enrolls in another; handoff exits', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, { label: 'lead', channelId: channel.id })
    const follow = await activeSequence(context, channel.id, [
      { type: 'wait', amount: 3, unit: 'days' },
      { type: 'end' },
    ])
    const byLabel = await activeSequence(
      context,
      channel.id,
      [
        { type: 'enroll', sequence_id: follow.id },
        { type: 'handoff', note: 'hot lead' },
      ],
      { triggers: { labels: ['proposal'] }, exitOnReply: false }
    )
    const byKeyword = await activeSequence(
      context,
      channel.id,
      [{ type: 'wait', amount: 1, unit: 'days' }],
      {
        triggers: { keywords: ['price'] },
        exitOnReply: false,
      }
    )
    const conv = await context.transaction((trx) =>
      trx.rawQuery(`select id from conversations where contact_id = ?`, [person.id])
    )
    await setConversationLabels(context, conv.rows[0].id, ['lead', 'proposal'], null)
    await customerSays(context, person.id, conv.rows[0].id, channel.id, 'What is the PRICE?')
    const list = await enrollmentsOfContact(context, person.id)
    assert.sameMembers(
      list.map((e: any) => `${e.sequenceId}:${e.source}`),
      [`${byLabel.id}:label`, `${byKeyword.id}:keyword`]
    )
    await runDueNow({ tenant: context })
    const after = await enrollmentsOfContact(context, person.id)
    const labelRow = after.find((e: any) => e.sequenceId === byLabel.id)!
    assert.equal(labelRow.status, 'exited')
    assert.equal(labelRow.exitReason, 'handoff')
    assert.equal(after.find((e: any) => e.sequenceId === follow.id)!.source, 'sequence')
    const needs = await context.transaction((trx) =>
      trx.rawQuery(`select needs_person_at from conversations where id = ?`, [conv.rows[0].id])
    )
    assert.isNotNull(needs.rows[0].needs_person_at)
  })

  test('a batch of template steps goes to WhatsApp in bulk: each contact once, "slow down" tried again, a worker killed after sending sends nothing more, one killed before sending sends once', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const people: Array<Awaited<ReturnType<typeof contact>>> = []
    for (let i = 0; i < 5; i++) {
      people.push(await contact(context, { label: 'lead', channelId: channel.id, name: `P${i}` }))
    }
    const digits = (phone: string | null) => (phone ?? '').replace(/\D/g, '')
    const sendsTo = (phone: string | null) =>
      graph.sends().filter((call) => digits(call.body?.to) === digits(phone))
    const sequence = await activeSequence(context, channel.id, [
      { type: 'send', text: 'Hello', template: policyNotice },
      { type: 'end' },
    ])
    const now = at('2026-03-02T10:00:00Z')
    const enrollments: Array<Awaited<ReturnType<typeof enrollInSequence>>> = []
    for (const person of people) {
      enrollments.push(await enrollInSequence(context, sequence.id, person.id, 'api', { now }))
    }
    // WhatsApp asks to slow down for the third contact, once.
    graph.failTo(digits(people[2].phone), 429, 130429, 'Rate limit hit')

    const first = await runDueNow({ tenant: context, now })
    assert.equal(first.retried, 1)
    for (const [i, person] of people.entries()) {
      const status = (await enrollmentRow(context, enrollments[i].id)).status
      assert.equal(status, i === 2 ? 'active' : 'completed', `contact ${i}`)
      assert.lengthOf(sendsTo(person.phone), 1, `contact ${i} asked once`)
    }
    const [slowed] = await dueRowsFor(context, { contactId: people[2].id })
    assert.equal(slowed.status, 'pending')
    assert.include(slowed.lastError ?? '', 'Rate limit hit')

    // Its retry, after the back-off: sent, and the step goes on.
    await runDueNow({ tenant: context, now: now.plus({ minutes: 1 }) })
    assert.equal((await enrollmentRow(context, enrollments[2].id)).status, 'completed')
    assert.lengthOf(sendsTo(people[2].phone), 2)
    const theirs = (await outbound(context)).filter((m) => m.contactId === people[2].id)
    assert.deepEqual(theirs.map((m) => m.status).sort(), ['failed', 'queued'])
    const sent = (await eventsOf(context, enrollments[2].id)).filter((e) => e.kind === 'sent')
    assert.lengthOf(sent, 1)

    // A worker that made the batch's sends and died before recording the step.
    const late = await contact(context, { label: 'lead', channelId: channel.id, name: 'Late' })
    const lateEnrollment = await enrollInSequence(context, sequence.id, late.id, 'api', { now })
    const claimed = await claimDue(context, { now, workerId: 'killed' })
    assert.lengthOf(claimed, 1)
    const prepared = await prepareSteps(context, claimed, now)
    assert.lengthOf([...prepared.bulk.keys()], 1)
    assert.lengthOf(sendsTo(late.phone), 1)
    const later = now.plus({ milliseconds: DUE_LEASE_MS + 1 })
    await runDueNow({ tenant: context, now: later })
    await runDueNow({ tenant: context, now: later.plus({ seconds: 1 }) })
    assert.lengthOf(sendsTo(late.phone), 1, 'not asked again')
    assert.equal((await enrollmentRow(context, lateEnrollment.id)).status, 'completed')
    const lateSent = (await eventsOf(context, lateEnrollment.id)).filter((e) => e.kind === 'sent')
    assert.lengthOf(lateSent, 1)
    // The batch had moved the enrollment on with its sends: the re-run found it moved.
    assert.equal(lateSent[0].detail.mode, 'template')
    const [lateRow] = await dueRowsFor(context, { dedupePrefix: `seq:${lateEnrollment.id}:` })
    assert.equal(lateRow.status, 'done')
    assert.lengthOf(
      (await outbound(context)).filter((m) => m.contactId === late.id),
      1,
      'one message stored'
    )

    // A worker that wrote the message and died before its request left (no
    // started mark): the message is removed and sent anew, once.
    const cut = await contact(context, { label: 'lead', channelId: channel.id, name: 'Cut' })
    const cutEnrollment = await enrollInSequence(context, sequence.id, cut.id, 'api', { now })
    const [cutRow] = await claimDue(context, { now, workerId: 'killed' })
    await context.transaction((trx) =>
      trx.rawQuery(
        `insert into messages (conversation_id, contact_id, channel_id, direction, idempotency_key,
                               type, body, payload, status, author_type)
         select id, contact_id, channel_id, 'outbound', ?, 'template', 'Hello Cut', ?::jsonb, 'pending', 'system'
           from conversations where contact_id = ?`,
        [
          `due:${cutRow.id}`,
          JSON.stringify({ send: { startedAt: new Date().toISOString() } }),
          cut.id,
        ]
      )
    )
    await runDueNow({ tenant: context, now: later })
    await runDueNow({ tenant: context, now: later.plus({ seconds: 1 }) })
    assert.lengthOf(sendsTo(cut.phone), 1)
    assert.equal((await enrollmentRow(context, cutEnrollment.id)).status, 'completed')
    const cutMessages = (await outbound(context)).filter((m) => m.contactId === cut.id)
    assert.deepEqual(
      cutMessages.map((m) => m.status),
      ['queued']
    )
  })

  test('a worker killed between claim and send: the step runs once, after the lease, with one message', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, { label: 'lead', channelId: channel.id })
    const sequence = await activeSequence(context, channel.id, [
      { type: 'send', text: 'Hello', template: policyNotice },
      { type: 'end' },
    ])
    const now = at('2026-03-02T10:00:00Z')
    const enrollment = await enrollInSequence(context, sequence.id, person.id, 'api', { now })
    const claimed = await claimDue(context, { now, workerId: 'killed' })
    assert.lengthOf(claimed, 1)
    await runDueNow({ tenant: context, now: now.plus({ seconds: 1 }) })
    assert.lengthOf(await outbound(context), 0)
    const later = now.plus({ milliseconds: DUE_LEASE_MS + 1 })
    await runDueNow({ tenant: context, now: later })
    await runDueNow({ tenant: context, now: later.plus({ seconds: 1 }) })
    assert.lengthOf(await outbound(context), 1)
    assert.equal((await enrollmentRow(context, enrollment.id)).status, 'completed')
    const sentEvents = (await eventsOf(context, enrollment.id)).filter((e) => e.kind === 'sent')
    assert.lengthOf(sentEvents, 1)
  })

  test('create_task run again after a crash (task made, step not moved on) opens no second task', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, { label: 'lead', channelId: channel.id, name: 'Omar' })
    const sequence = await activeSequence(context, channel.id, [
      { type: 'create_task', title: 'Call {{contact.name}}', note: 'Renewal' },
      { type: 'wait', amount: 1, unit: 'days' },
    ])
    const now = at('2026-03-02T10:00:00Z')
    const enrollment = await enrollInSequence(context, sequence.id, person.id, 'api', { now })
    const [row] = await dueRowsFor(context, { refId: sequence.id, statuses: ['pending'] })
    await runDueNow({ tenant: context, now })
    assert.lengthOf(await context.transaction((trx) => Task.query({ client: trx })), 1)
    // The worker died after the task and before its move and "done": the
    // enrollment still stands at the step, its row is claimed again.
    await context.transaction(async (trx) => {
      await trx.rawQuery(`update sequence_enrollments set current_step = ? where id = ?`, [
        row.payload.stepId,
        enrollment.id,
      ])
      await trx.rawQuery(`delete from due_work where id <> ? and ref_id = ?`, [row.id, sequence.id])
      await trx.rawQuery(`delete from sequence_events where kind = 'ran'`)
      await trx.rawQuery(
        `update due_work set status = 'claimed', claimed_at = ?, claimed_by = 'killed' where id = ?`,
        [now.toJSDate(), row.id]
      )
    })
    const later = now.plus({ milliseconds: DUE_LEASE_MS + 1 })
    const rerun = await runDueNow({ tenant: context, now: later })
    assert.isAtLeast(rerun.done, 1)
    const tasks = await context.transaction((trx) => Task.query({ client: trx }))
    assert.lengthOf(tasks, 1)
    assert.equal(tasks[0].title, 'Call Omar')
    assert.equal(tasks[0].idempotencyKey, `pulse:${row.dedupeKey}`)
    const ran = (await eventsOf(context, enrollment.id)).filter((e) => e.kind === 'ran')
    assert.lengthOf(ran, 1)
    assert.equal(ran[0].detail.task_id, tasks[0].id)
    assert.notEqual((await enrollmentRow(context, enrollment.id)).current_step, row.payload.stepId)
  })

  test('a paused sequence holds its steps; archiving ends its enrollments', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, { label: 'lead', channelId: channel.id })
    const sequence = await activeSequence(context, channel.id, [
      { type: 'send', text: 'x', template: policyNotice },
    ])
    const now = at('2026-03-02T10:00:00Z')
    const enrollment = await enrollInSequence(context, sequence.id, person.id, 'api', { now })
    await setSequenceStatus(context, sequence.id, 'paused')
    await runDueNow({ tenant: context, now })
    assert.lengthOf(await outbound(context), 0)
    await setSequenceStatus(context, sequence.id, 'archived')
    const row = await enrollmentRow(context, enrollment.id)
    assert.equal(row.status, 'exited')
    assert.equal(row.exit_reason, 'sequence_archived')
  })

  test('steps are checked: a wait over 100 days and a send with nothing to say are refused by field', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    try {
      await createSequence(context, {
        name: 'Bad',
        channelId: channel.id,
        steps: [
          { id: 'w1', type: 'wait', amount: 101, unit: 'days' },
          { id: 's1', type: 'send', text: '' },
        ],
      })
      assert.fail('accepted')
    } catch (error: any) {
      assert.equal(error.fields['steps.w1.amount'], 'From 1 minute to 100 days')
      assert.equal(error.fields['steps.s1.text'], 'Write the message or choose a template')
    }
  })

  test('another tenant’s contact or sequence cannot be enrolled, seen or removed', async ({
    assert,
    cleanup,
  }) => {
    const a = await campaignTenant(cleanup, {}, 'seqa')
    const b = await campaignTenant(cleanup, {}, 'seqb')
    const theirs = await contact(b.context, { label: 'lead', channelId: b.channel.id })
    const ours = await activeSequence(a.context, a.channel.id, [{ type: 'end' }])
    await assert.rejects(
      () => enrollInSequence(a.context, ours.id, theirs.id, 'api'),
      /No such contact/
    )
    await assert.rejects(
      () => enrollInSequence(b.context, ours.id, theirs.id, 'api'),
      /Row not found|E_ROW_NOT_FOUND/
    )
    const mine = await contact(a.context, { label: 'lead', channelId: a.channel.id })
    await enrollInSequence(a.context, ours.id, mine.id, 'api')
    assert.lengthOf(await enrollmentsOfContact(b.context, mine.id), 0)
    const count = await db.rawQuery(
      `select count(*)::int as n from ${b.context.table('sequence_enrollments')}`
    )
    assert.equal(count.rows[0].n, 0)
  })

  test('a dry run shows what would be sent when, in the contact’s zone, and writes nothing', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'seq')
    const person = await contact(context, {
      label: 'lead',
      channelId: channel.id,
      name: 'Omar',
      timeZone: 'America/New_York',
    })
    const sequence = await activeSequence(
      context,
      channel.id,
      [
        { type: 'send', text: 'Hi {{contact.name}}', template: policyNotice },
        { type: 'wait', until: { weekdays: ['mon'], at: '09:00' } },
        {
          type: 'condition',
          on: 'label',
          op: 'exists',
          value: 'vip',
          then: [{ type: 'handoff' }],
          else: [{ type: 'send', text: 'Lesson', template: null }],
        },
      ],
      { quiet: { start: '21:00', end: '09:00' } }
    )
    const friday = at('2026-03-06T22:00:00-05:00')
    const run = await dryRunSequence(context, sequence.id, person.id, { now: friday })
    assert.deepEqual(
      run.entries.map((e) => [e.action, e.at.setZone('America/New_York').toFormat('ccc HH:mm')]),
      [
        ['send_template', 'Sat 09:00'],
        ['wait', 'Mon 09:00'],
        ['branch', 'Mon 09:00'],
        ['skip', 'Mon 09:00'],
      ]
    )
    assert.deepEqual(run.entries[0].detail.variables, ['Omar'])
    assert.equal(run.entries[3].detail.reason, 'window_closed_no_template')
    assert.lengthOf(await dueRowsFor(context, { contactId: person.id }), 0)
  })
})
