import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { fixClock } from '#app/clock'
import { queueOutboundMessage, Message } from '#modules/channels/index'
import { conversationForSend } from '#modules/inbox/index'
import {
  cancelDue,
  claimDue,
  deferDue,
  dueRowsFor,
  nextLocalTime,
  addLocal,
  registerDueHandler,
  runDueNow,
  scheduleDue,
  sendGuard,
  DUE_LEASE_MS,
  type DueRow,
} from '#modules/pulse/index'
import type { TenantContext } from '#modules/tenancy/index'
import { campaignTenant, contact } from './campaign_fixtures.js'

const ran: Array<{ tenant: string; id: string; key: string }> = []

registerDueHandler('test.note', async (tenant, row) => {
  ran.push({ tenant: tenant.slug, id: row.id, key: row.dedupeKey })
  return { ok: true }
})
registerDueHandler('test.quiet', async (_tenant, row, { now }) => {
  if (!row.payload.deferred) {
    await db.rawQuery(`select 1`)
    return deferDue(now.plus({ hours: 1 }), 'quiet hours')
  }
  return null
})
let failTimes = 0
registerDueHandler(
  'test.flaky',
  async () => {
    if (failTimes-- > 0) throw new Error('graph down')
    return 'ok'
  },
  { maxAttempts: 2 }
)

/** A template send through the channels door with the scheduler's send-once guard. */
async function sendStep(tenant: TenantContext, row: DueRow) {
  if (row.messageId) return { message: row.messageId, again: true }
  const opened = await conversationForSend(tenant, row.contactId!, row.payload.channelId)
  const message = await queueOutboundMessage(tenant, {
    conversationId: opened!.conversation.id,
    content: { type: 'template', name: 'policy_notice', language: 'en', variables: ['Layla'] },
    authorType: 'system',
    ...sendGuard(tenant, row),
  })
  return { message: message.id }
}
registerDueHandler('test.send', sendStep)

const at = (iso: string) => DateTime.fromISO(iso, { setZone: true })

async function rowByKey(tenant: TenantContext, key: string) {
  const rows = await dueRowsFor(tenant, { dedupePrefix: key })
  return rows.find((row) => row.dedupeKey === key)!
}

test.group('Scheduler', () => {
  test('a dedupe key is one row: scheduling again reschedules it while pending, never after it ran', async ({
    assert,
    cleanup,
  }) => {
    const { context } = await campaignTenant(cleanup, {}, 'sch')
    const first = await scheduleDue(context, {
      kind: 'test.note',
      dedupeKey: 'k:1',
      dueAt: at('2026-03-01T09:00:00Z'),
    })
    const again = await scheduleDue(context, {
      kind: 'test.note',
      dedupeKey: 'k:1',
      dueAt: at('2026-03-01T10:00:00Z'),
    })
    assert.equal(again.id, first.id)
    assert.isTrue(first.created)
    assert.isTrue(again.rescheduled)
    assert.equal((await rowByKey(context, 'k:1')).dueAt.toUTC().hour, 10)

    await runDueNow({ tenant: context, now: at('2026-03-01T09:30:00Z') })
    assert.equal((await rowByKey(context, 'k:1')).status, 'pending')
    await runDueNow({ tenant: context, now: at('2026-03-01T10:00:00Z') })
    assert.equal((await rowByKey(context, 'k:1')).status, 'done')
    assert.deepEqual((await rowByKey(context, 'k:1')).result, { ok: true })

    const late = await scheduleDue(context, {
      kind: 'test.note',
      dedupeKey: 'k:1',
      dueAt: at('2026-03-02T10:00:00Z'),
    })
    assert.isFalse(late.created)
    assert.equal(late.status, 'done')
    await runDueNow({ tenant: context, now: at('2026-03-03T10:00:00Z') })
    assert.lengthOf(
      ran.filter((r) => r.tenant === context.slug),
      1
    )
    const count = await db.rawQuery(`select count(*)::int as n from ${context.table('due_work')}`)
    assert.equal(count.rows[0].n, 1)
  })

  test('cancel by kind, contact, ref or key prefix; a cancelled key comes back only when revived', async ({
    assert,
    cleanup,
  }) => {
    const { context } = await campaignTenant(cleanup, {}, 'sch')
    const person = await contact(context)
    const due = at('2026-03-01T09:00:00Z')
    await scheduleDue(context, {
      kind: 'test.note',
      dedupeKey: 'nudge:a:1',
      dueAt: due,
      contactId: person.id,
    })
    await scheduleDue(context, {
      kind: 'test.note',
      dedupeKey: 'nudge:a:2',
      dueAt: due,
      contactId: person.id,
    })
    await scheduleDue(context, { kind: 'test.note', dedupeKey: 'other:1', dueAt: due, refId: 'r1' })
    assert.equal(await cancelDue(context, { dedupePrefix: 'nudge:a:' }, { reason: 'replied' }), 2)
    assert.equal(await cancelDue(context, { contactId: person.id }), 0)
    assert.equal((await rowByKey(context, 'nudge:a:1')).lastError, 'replied')
    await scheduleDue(context, { kind: 'test.note', dedupeKey: 'nudge:a:1', dueAt: due })
    assert.equal((await rowByKey(context, 'nudge:a:1')).status, 'cancelled')
    await scheduleDue(
      context,
      { kind: 'test.note', dedupeKey: 'nudge:a:1', dueAt: due },
      { revive: true }
    )
    assert.equal((await rowByKey(context, 'nudge:a:1')).status, 'pending')
    assert.equal(await cancelDue(context, { refId: 'r1', kind: 'test.note' }), 1)
    await runDueNow({ tenant: context, now: due })
    assert.deepEqual(
      ran.filter((r) => r.tenant === context.slug).map((r) => r.key),
      ['nudge:a:1']
    )
  })

  test('a worker killed between claim and send: its lease lapses and the step runs once, elsewhere', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'sch')
    const person = await contact(context, { label: 'x', channelId: channel.id })
    const due = at('2026-03-01T09:00:00Z')
    await scheduleDue(context, {
      kind: 'test.send',
      dedupeKey: 'send:1',
      dueAt: due,
      contactId: person.id,
      payload: { channelId: channel.id },
    })
    // The dead worker: claimed, then nothing (SIGKILL leaves exactly this row state).
    const claimed = await claimDue(context, { now: due, workerId: 'dead-worker' })
    assert.lengthOf(claimed, 1)
    const early = await runDueNow({ tenant: context, now: due.plus({ seconds: 5 }) })
    assert.equal(early.claimed, 0, 'a live lease is not taken')
    const later = await runDueNow({
      tenant: context,
      now: due.plus({ milliseconds: DUE_LEASE_MS + 1000 }),
    })
    assert.equal(later.done, 1)
    const row = await rowByKey(context, 'send:1')
    assert.equal(row.status, 'done')
    assert.equal(row.attempts, 2)
    assert.isNotNull(row.messageId)
    const messages = await context.transaction((trx) =>
      Message.query({ client: trx }).where('direction', 'outbound')
    )
    assert.lengthOf(messages, 1)
    assert.equal(messages[0].id, row.messageId)
  })

  test('a worker killed after the send but before "done": the re-run meets the message, no second send', async ({
    assert,
    cleanup,
  }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'sch')
    const person = await contact(context, { label: 'x', channelId: channel.id })
    const due = at('2026-03-01T09:00:00Z')
    await scheduleDue(context, {
      kind: 'test.send',
      dedupeKey: 'send:2',
      dueAt: due,
      contactId: person.id,
      payload: { channelId: channel.id },
    })
    const [claimed] = await claimDue(context, { now: due, workerId: 'dead-worker' })
    // It sent (message and row's message_id in one statement), then died.
    const first = await sendStep(context, claimed)
    // Even a re-run that does not look at message_id meets the first message by its key.
    await db.rawQuery(`update ${context.table('due_work')} set message_id = null where id = ?`, [
      claimed.id,
    ])
    await runDueNow({ tenant: context, now: due.plus({ milliseconds: DUE_LEASE_MS + 1000 }) })
    const messages = await context.transaction((trx) =>
      Message.query({ client: trx }).where('direction', 'outbound')
    )
    assert.lengthOf(messages, 1)
    assert.equal(messages[0].id, first.message)
    assert.equal((await rowByKey(context, 'send:2')).status, 'done')
  })

  test('a step cancelled while claimed is not sent', async ({ assert, cleanup }) => {
    const { context, channel } = await campaignTenant(cleanup, {}, 'sch')
    const person = await contact(context, { label: 'x', channelId: channel.id })
    const due = at('2026-03-01T09:00:00Z')
    await scheduleDue(context, {
      kind: 'test.send',
      dedupeKey: 'send:3',
      dueAt: due,
      contactId: person.id,
      payload: { channelId: channel.id },
    })
    const [claimed] = await claimDue(context, { now: due, workerId: 'w1' })
    assert.equal(await cancelDue(context, { contactId: person.id }, { reason: 'replied' }), 1)
    await assert.rejects(() => sendStep(context, claimed), /depended on changed/)
    const messages = await context.transaction((trx) =>
      Message.query({ client: trx }).where('direction', 'outbound')
    )
    assert.lengthOf(messages, 0)
  })

  test('deferral and retries: quiet hours move the row, errors back off, then fail', async ({
    assert,
    cleanup,
  }) => {
    const { context } = await campaignTenant(cleanup, {}, 'sch')
    const due = at('2026-03-01T09:00:00Z')
    await scheduleDue(context, { kind: 'test.quiet', dedupeKey: 'q', dueAt: due })
    await runDueNow({ tenant: context, now: due })
    const quiet = await rowByKey(context, 'q')
    assert.equal(quiet.status, 'pending')
    assert.equal(quiet.attempts, 0)
    assert.equal(quiet.lastError, 'quiet hours')
    assert.equal(quiet.dueAt.toMillis(), due.plus({ hours: 1 }).toMillis())

    failTimes = 5
    await scheduleDue(context, { kind: 'test.flaky', dedupeKey: 'f', dueAt: due })
    await runDueNow({ tenant: context, now: due })
    let flaky = await rowByKey(context, 'f')
    assert.equal(flaky.status, 'pending')
    assert.equal(flaky.lastError, 'graph down')
    assert.isAbove(flaky.dueAt.toMillis(), due.toMillis())
    await runDueNow({ tenant: context, now: due.plus({ hours: 2 }) })
    flaky = await rowByKey(context, 'f')
    assert.equal(flaky.status, 'failed')
    assert.equal(flaky.attempts, 2)
    failTimes = 0
  })

  test('tenants never run, see or cancel each other’s due work', async ({ assert, cleanup }) => {
    const a = await campaignTenant(cleanup, {}, 'scha')
    const b = await campaignTenant(cleanup, {}, 'schb')
    const due = at('2026-03-01T09:00:00Z')
    await scheduleDue(a.context, { kind: 'test.note', dedupeKey: 'same', dueAt: due, refId: 'r' })
    await scheduleDue(b.context, { kind: 'test.note', dedupeKey: 'same', dueAt: due, refId: 'r' })
    assert.equal(await cancelDue(b.context, { refId: 'r' }), 1)
    assert.lengthOf(await dueRowsFor(b.context, { refId: 'r', statuses: ['pending'] }), 0)
    assert.lengthOf(await dueRowsFor(a.context, { refId: 'r', statuses: ['pending'] }), 1)
    await runDueNow({ tenant: b.context, now: due })
    assert.lengthOf(
      ran.filter((r) => r.tenant === a.context.slug),
      0
    )
    await runDueNow({ tenant: a.context, now: due })
    assert.lengthOf(
      ran.filter((r) => r.tenant === a.context.slug),
      1
    )
  })
})

test.group('Scheduler: local time', () => {
  test('a 09:00 step stays 09:00 local across the spring DST change', ({ assert }) => {
    // New York moves to daylight time on Sunday 2026-03-08 at 02:00.
    const friday = at('2026-03-06T09:00:00-05:00')
    const monday = nextLocalTime(friday, 'America/New_York', '09:00', ['mon'])
    assert.equal(monday.toISO(), '2026-03-09T09:00:00.000-04:00')
    assert.equal(monday.toUTC().hour, 13)
    const daily = addLocal(friday, 'America/New_York', 3, 'days')
    assert.equal(daily.hour, 9)
    assert.equal(daily.toUTC().hour, 13)
    // The hour itself is elapsed time, not wall-clock.
    const sat = at('2026-03-08T01:30:00-05:00')
    assert.equal(
      addLocal(sat, 'America/New_York', 1, 'hours').toISO(),
      '2026-03-08T03:30:00.000-04:00'
    )
  })

  test('a wall time the spring-forward skips runs at the next valid minute; autumn runs once', ({
    assert,
  }) => {
    const restore = fixClock('2026-03-07T12:00:00Z')
    try {
      const skipped = nextLocalTime(at('2026-03-07T12:00:00Z'), 'America/New_York', '02:30', [
        'sun',
      ])
      assert.equal(skipped.toUTC().toISO(), '2026-03-08T07:30:00.000Z')
      // 2026-11-01 01:30 happens twice in New York: the step runs at the first.
      const autumn = nextLocalTime(at('2026-10-31T12:00:00Z'), 'America/New_York', '01:30', ['sun'])
      assert.equal(autumn.toUTC().toISO(), '2026-11-01T05:30:00.000Z')
    } finally {
      restore()
    }
  })
})
