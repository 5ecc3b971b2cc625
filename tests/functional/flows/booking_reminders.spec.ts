import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { fixClock } from '#app/clock'
import {
  BOOKING_MESSAGE_KIND,
  bookSlot,
  cancelBooking,
  findBooking,
  findSlots,
  handleBookingReply,
} from '#modules/flows/index'
import type { TenantContext } from '#modules/tenancy/index'
import { customer } from '#tests/helpers/whatsapp'
import { campaignTenant } from '#tests/functional/pulse/campaign_fixtures'
import { coachGiving } from './booking_fixtures.js'
import { dueOf, runAt, systemMessages } from '#tests/functional/pulse/outreach_fixtures'

/*
| What the booker says on a fixed clock: the confirmation (free-form with
| the .ics link inside the window, the service's template outside it),
| reminders 24 h and 1 h before, each exactly once however often the
| scheduler runs, none after a cancel; and the customer's replies:
| "reschedule" offers held slots, a number picks one and the reminders
| move, "cancel" cancels.
*/

// Sunday 6 December 2026, 10:00 in Dubai.
const NOW = '2026-12-06T10:00:00+04:00'
const TUESDAY_9 = new Date('2026-12-08T05:00:00Z')
const TUESDAY_10 = new Date('2026-12-08T06:00:00Z')

async function bookerChannelTenant(cleanup: any) {
  const made = await campaignTenant(cleanup, {}, 'bkr')
  const given = await coachGiving(cleanup, made, {
    templateName: 'policy_notice',
    templateLanguage: 'en',
  })
  return { ...made, ...given }
}

async function inZone(context: TenantContext, contactId: string, zone: string) {
  await db.rawQuery(`update ${context.table('contacts')} set time_zone = ? where id = ?`, [
    zone,
    contactId,
  ])
}

const at = (iso: string) => DateTime.fromISO(iso)

test.group('Session booker messages', () => {
  test('confirmation, then reminders 24 h and 1 h before, each exactly once; a cancel stops them', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const { context, channel, service } = await bookerChannelTenant(cleanup)
    const open = await customer(context, channel, { hoursAgo: 1 })
    const closed = await customer(context, channel, { hoursAgo: 48 })
    await inZone(context, open.contactId, 'Europe/London')
    await inZone(context, closed.contactId, 'America/New_York')
    await bookSlot(context, { serviceId: service.id, contactId: open.contactId, start: TUESDAY_9 })
    const other = await bookSlot(context, {
      serviceId: service.id,
      contactId: closed.contactId,
      start: TUESDAY_10,
    })

    await runAt(context, at(NOW))
    const [confirmation] = await systemMessages(context, open.conversationId)
    assert.equal(confirmation.type, 'text')
    assert.include(
      confirmation.body!,
      'Your Coaching session is booked for Tuesday 8 December 2026, 05:00 (Europe/London)'
    )
    assert.match(confirmation.body!, /\/bookings\/[0-9a-f-]{36}\/invite\.ics\?sig=[\w-]+/)
    // Outside the window: the service's template, its variable the same words in New York time.
    const [templated] = await systemMessages(context, closed.conversationId)
    assert.equal(templated.type, 'template')
    assert.include(
      JSON.stringify(templated.payload),
      'Tuesday 8 December 2026, 01:00 (America/New_York)'
    )

    await cancelBooking(context, other.id, 'team')
    await runAt(context, at('2026-12-07T04:59:00Z'))
    assert.lengthOf(await systemMessages(context, open.conversationId), 1)
    await runAt(context, at('2026-12-07T05:00:00Z'))
    await runAt(context, at('2026-12-07T05:30:00Z'))
    const afterDay = await systemMessages(context, open.conversationId)
    assert.lengthOf(afterDay, 2, 'the 24 h reminder, once')
    assert.include(afterDay[1].body!, 'is tomorrow, Tuesday 8 December 2026, 05:00 (Europe/London)')
    await runAt(context, at('2026-12-08T04:00:00Z'))
    await runAt(context, at('2026-12-08T04:30:00Z'))
    const afterHour = await systemMessages(context, open.conversationId)
    assert.lengthOf(afterHour, 3, 'the 1 h reminder, once')
    assert.include(afterHour[2].body!, 'starts in an hour')

    // The cancelled booking: its confirmation only, its reminders cancelled.
    assert.lengthOf(await systemMessages(context, closed.conversationId), 1)
    const rows = await dueOf(context, { refId: other.id, kind: BOOKING_MESSAGE_KIND })
    assert.deepEqual(
      rows.map((row) => row.status),
      ['done', 'cancelled', 'cancelled']
    )
  })

  test('a contact whose language is Arabic is confirmed and reminded in Arabic, the time in Arabic', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const { context, channel, service } = await bookerChannelTenant(cleanup)
    const person = await customer(context, channel, { hoursAgo: 1 })
    await inZone(context, person.contactId, 'Asia/Dubai')
    await db.rawQuery(`update ${context.table('contacts')} set language = 'ar' where id = ?`, [
      person.contactId,
    ])
    await bookSlot(context, {
      serviceId: service.id,
      contactId: person.contactId,
      start: TUESDAY_9,
    })

    await runAt(context, at(NOW))
    const [confirmation] = await systemMessages(context, person.conversationId)
    assert.include(confirmation.body!, 'تم حجز Coaching session في')
    assert.include(confirmation.body!, 'الثلاثاء', 'the weekday in Arabic')
    assert.include(confirmation.body!, '(Asia/Dubai)')
    assert.include(confirmation.body!, '"إلغاء"', 'the reply word the booker understands')
    assert.match(confirmation.body!, /\/bookings\/[0-9a-f-]{36}\/invite\.ics\?sig=[\w-]+/)
    assert.notInclude(confirmation.body!, 'booked')

    await runAt(context, at('2026-12-08T04:00:00Z'))
    const messages = await systemMessages(context, person.conversationId)
    assert.lengthOf(messages, 3, 'the confirmation and both reminders')
    // Both reminders fell due in the one run: their order is not fixed.
    const bodies = messages.map((message) => message.body!)
    assert.isTrue(bodies.some((body) => body.includes('تذكير: موعد Coaching session غدًا')))
    assert.isTrue(bodies.some((body) => body.includes('تذكير: يبدأ Coaching session بعد ساعة')))
  })

  test('"reschedule" offers held slots, a number moves the booking and its reminders, "cancel" cancels', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const { context, channel, service } = await bookerChannelTenant(cleanup)
    const person = await customer(context, channel, { hoursAgo: 1 })
    const someoneElse = await customer(context, channel, { hoursAgo: 1 })
    await inZone(context, person.contactId, 'Asia/Dubai')
    const booking = await bookSlot(context, {
      serviceId: service.id,
      contactId: person.contactId,
      start: TUESDAY_9,
    })

    assert.isNull(await handleBookingReply(context, { contactId: person.contactId, text: 'hello' }))
    assert.isNull(
      await handleBookingReply(context, { contactId: someoneElse.contactId, text: 'cancel' })
    )

    const offer = await handleBookingReply(context, {
      contactId: person.contactId,
      text: 'Reschedule',
    })
    assert.equal(offer?.action, 'offered')
    assert.equal(offer?.reply.type, 'list')
    const rows = offer?.reply.type === 'list' ? offer.reply.sections[0].rows : []
    assert.lengthOf(rows, 10)
    assert.equal(rows[0].id, 'booking_slot:2026-12-07T05:00:00.000Z')
    assert.equal(rows[0].title, 'Mon 7 Dec, 09:00')
    for (const row of rows) assert.isAtMost(row.title.length, 24)
    assert.notInclude(
      rows.map((r) => r.id),
      `booking_slot:${TUESDAY_9.toISOString()}`
    )
    // Held: nobody else is offered those times for 10 minutes.
    const othersSee = await findSlots(context, {
      serviceId: service.id,
      from: new Date('2026-12-07T00:00:00Z'),
      to: new Date('2026-12-08T00:00:00Z'),
      timeZone: 'UTC',
      contactId: someoneElse.contactId,
    })
    assert.notInclude(
      othersSee.map((s) => s.start.toISOString()),
      '2026-12-07T05:00:00.000Z'
    )

    const moved = await handleBookingReply(context, { contactId: person.contactId, text: '2' })
    assert.equal(moved?.action, 'rescheduled')
    const after = (await findBooking(context, booking.id))!
    assert.equal(after.startsAt.toISOString(), '2026-12-07T06:00:00.000Z')
    assert.equal(after.revision, 1)
    const due = await dueOf(context, { refId: booking.id, kind: BOOKING_MESSAGE_KIND })
    const pending = due.filter((row) => row.status === 'pending').map((row) => row.dedupeKey)
    // The new time's confirmation and 1 h reminder (its 24 h mark has passed); the old time's all cancelled.
    assert.sameMembers(pending, [
      `booking:${booking.id}:1:confirmation`,
      `booking:${booking.id}:1:1h`,
    ])
    assert.isTrue(
      due.filter((row) => row.dedupeKey.includes(':0:')).every((row) => row.status === 'cancelled')
    )

    const cancelled = await handleBookingReply(context, {
      contactId: person.contactId,
      text: 'cancel',
    })
    assert.equal(cancelled?.action, 'cancelled')
    assert.equal((await findBooking(context, booking.id))!.status, 'cancelled')
    await runAt(context, at('2026-12-09T00:00:00Z'))
    const all = await dueOf(context, { refId: booking.id, kind: BOOKING_MESSAGE_KIND })
    assert.isTrue(all.every((row) => row.status === 'cancelled'))
    // Nothing ran before the changes, and each change cancelled what was unsent: no message went out.
    assert.lengthOf(await systemMessages(context, person.conversationId), 0)
  })
})
