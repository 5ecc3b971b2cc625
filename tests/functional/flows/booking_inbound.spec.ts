import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { fixClock } from '#app/clock'
import {
  readAssistantSettings,
  replyToInboundMessage,
  saveAssistantSettings,
} from '#modules/brain/index'
import { bookSlot, findBooking } from '#modules/flows/index'
import type { TenantContext } from '#modules/tenancy/index'
import { startInboundWorkers, waId, waitFor } from '#tests/helpers/whatsapp'
import { campaignTenant } from '#tests/functional/pulse/campaign_fixtures'
import { coachGiving } from './booking_fixtures.js'
import { flowMessages, publishedFlow, runAt, say, sessionsOf, typed } from './flow_fixtures.js'

/*
| A customer's own words about their booking, through real WhatsApp
| webhooks with the assistant on: "cancel" cancels the next booking and
| the booker answers, once, while the assistant stays silent on it; other
| messages stay the assistant's.
*/

// Sunday 6 December 2026, 10:00 in Dubai; the booking is Tuesday 09:00 there.
const NOW = '2026-12-06T10:00:00+04:00'
const TUESDAY_9 = new Date('2026-12-08T05:00:00Z')

type Cleanup = (fn: () => void | Promise<void>) => void

async function bookerTenant(cleanup: Cleanup) {
  const made = await campaignTenant(cleanup as any, {}, 'bkin')
  const workers = await startInboundWorkers()
  cleanup(() => workers.stop())
  const current = await readAssistantSettings(made.context, made.channel.id)
  await saveAssistantSettings(made.context, made.channel.id, { ...current, enabled: true }, null)
  const { service } = await coachGiving(cleanup, made)
  return { ...made, service }
}

async function contactOf(context: TenantContext, from: string) {
  const result = await db.rawQuery(
    `select c.id as conversation_id, c.contact_id from ${context.table('conversations')} c
       join ${context.table('contacts')} p on p.id = c.contact_id where p.wa_id = ?`,
    [from]
  )
  return result.rows[0] as { conversation_id: string; contact_id: string }
}

async function bookerReplies(context: TenantContext, conversationId: string) {
  const result = await db.rawQuery(
    `select body, idempotency_key from ${context.table('messages')}
      where conversation_id = ? and direction = 'outbound' and idempotency_key like 'booking-reply:%'`,
    [conversationId]
  )
  return result.rows as Array<{ body: string; idempotency_key: string }>
}

test.group('Session booker: customer replies', () => {
  test('"cancel" from a customer with a booking cancels it and the booker answers once, the assistant silent; other words stay the assistant’s', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const made = await bookerTenant(cleanup)
    const { context, service } = made
    const from = waId()
    const t0 = DateTime.fromISO(NOW)

    const hello = await say(made, typed(from, 'Hello, what time do you open?'), t0)
    const { conversation_id: conversationId, contact_id: contactId } = await contactOf(
      context,
      from
    )
    const booking = await bookSlot(context, { serviceId: service.id, contactId, start: TUESDAY_9 })

    // A message about something else is not the booker's, even with a booking.
    const question = await say(made, typed(from, 'Do you have parking?'), t0.plus({ minutes: 1 }))
    const cancel = await say(made, typed(from, 'Cancel'), t0.plus({ minutes: 2 }))

    const replies = await waitFor(async () => {
      const rows = await bookerReplies(context, conversationId)
      return rows.length ? rows : undefined
    })
    assert.lengthOf(replies, 1)
    assert.equal(replies[0].idempotency_key, `booking-reply:${cancel}`)
    assert.include(replies[0].body, 'Your Coaching session on')
    assert.include(replies[0].body, 'is cancelled')
    const after = await findBooking(context, booking.id)
    assert.equal(after?.status, 'cancelled')

    // The assistant is silent on the booker's message, and answers the others.
    assert.deepEqual(await replyToInboundMessage(context, cancel), {
      kind: 'skipped',
      why: 'held',
    } as any)
    for (const id of [hello, question]) {
      assert.notDeepEqual(await replyToInboundMessage(context, id), {
        kind: 'skipped',
        why: 'held',
      } as any)
    }

    // "Cancel" again: no booking left, so it is the assistant's, and nothing more from the booker.
    const again = await say(made, typed(from, 'cancel'), t0.plus({ minutes: 3 }))
    assert.notDeepEqual(await replyToInboundMessage(context, again), {
      kind: 'skipped',
      why: 'held',
    } as any)
    assert.lengthOf(await bookerReplies(context, conversationId), 1)
  })

  test('the booker answers in the contact’s language: Arabic to an Arabic “cancel”, and to a contact whose language is Arabic', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const made = await bookerTenant(cleanup)
    const { context, service } = made
    const t0 = DateTime.fromISO(NOW)

    // Written in Arabic, no language on the contact: answered in Arabic.
    const layla = waId()
    await say(made, typed(layla, 'مرحبا'), t0)
    const first = await contactOf(context, layla)
    await bookSlot(context, {
      serviceId: service.id,
      contactId: first.contact_id,
      start: TUESDAY_9,
    })
    await say(made, typed(layla, 'إلغاء'), t0.plus({ minutes: 1 }))
    const [cancelled] = await waitFor(async () => {
      const rows = await bookerReplies(context, first.conversation_id)
      return rows.length ? rows : undefined
    })
    assert.include(cancelled.body, 'أُلغي موعد Coaching session')
    assert.notInclude(cancelled.body, 'cancelled')

    // The contact's language is Arabic: "reschedule" typed in English gets the Arabic list.
    const omar = waId()
    await say(made, typed(omar, 'Hello'), t0)
    const second = await contactOf(context, omar)
    await db.rawQuery(`update ${context.table('contacts')} set language = 'ar' where id = ?`, [
      second.contact_id,
    ])
    await bookSlot(context, {
      serviceId: service.id,
      contactId: second.contact_id,
      start: TUESDAY_9,
    })
    await say(made, typed(omar, 'reschedule'), t0.plus({ minutes: 1 }))
    await waitFor(async () => {
      const rows = await bookerReplies(context, second.conversation_id)
      return rows.length ? rows : undefined
    })
    const offered = await db.rawQuery(
      `select payload from ${context.table('messages')}
        where conversation_id = ? and idempotency_key like 'booking-reply:%'`,
      [second.conversation_id]
    )
    const content = offered.rows[0].payload.content
    assert.equal(content.type, 'list')
    assert.include(content.body, 'اختر وقتاً جديداً لـCoaching session')
    assert.equal(content.button, 'اختر وقتاً')
    assert.notMatch(content.sections[0].rows[0].title, /[A-Za-z]/)
  })

  test('while a flow stands in a wait, “cancel” is the booker’s; the flow goes on after the wait', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const made = await bookerTenant(cleanup)
    const { context, service } = made
    const flow = await publishedFlow(context, {
      nodes: [
        { id: 'hello', type: 'message', position: { x: 0, y: 0 }, data: { text: 'Welcome!' } },
        { id: 'pause', type: 'wait', position: { x: 0, y: 1 }, data: { minutes: 60 } },
        { id: 'bye', type: 'end', position: { x: 0, y: 2 }, data: { text: 'Still there?' } },
      ],
      edges: [
        { from: 'hello', port: 'next', to: 'pause' },
        { from: 'pause', port: 'next', to: 'bye' },
      ],
    })
    const t0 = DateTime.fromISO(NOW)
    const from = waId()
    await say(made, typed(from, 'insurance'), t0)
    await runAt(context, t0)
    const { conversation_id: conversationId, contact_id: contactId } = await contactOf(
      context,
      from
    )
    const booking = await bookSlot(context, { serviceId: service.id, contactId, start: TUESDAY_9 })
    const cancel = await say(made, typed(from, 'cancel'), t0.plus({ minutes: 10 }))
    const replies = await waitFor(async () => {
      const rows = await bookerReplies(context, conversationId)
      return rows.length ? rows : undefined
    })
    assert.equal(replies[0].idempotency_key, `booking-reply:${cancel}`)
    assert.equal((await findBooking(context, booking.id))?.status, 'cancelled')
    await runAt(context, t0.plus({ minutes: 60 }))
    const [session] = await sessionsOf(context, flow.id)
    assert.equal(session.status, 'completed')
    assert.deepEqual(
      (await flowMessages(context, conversationId))
        .filter((m) => String(m.idempotency_key).startsWith('due:'))
        .map((m) => m.body),
      ['Welcome!', 'Still there?']
    )
  })
})
