import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import {
  BookingError,
  bookSlot,
  cancelBooking,
  findSlots,
  holdSlot,
  listBookings,
} from '#modules/flows/index'
import { fixClock } from '#app/clock'
import { bookerWorkspace, customer } from './booking_fixtures.js'

// Sunday 6 December 2026, 10:00 in Dubai; Monday 7th's first slot is 09:00 Dubai = 05:00 UTC.
const NOW = '2026-12-06T10:00:00+04:00'
const MONDAY_9 = new Date('2026-12-07T05:00:00Z')
const MONDAY = { from: new Date('2026-12-07T00:00:00Z'), to: new Date('2026-12-08T00:00:00Z') }

async function reason(promise: Promise<unknown>) {
  try {
    await promise
    return 'booked'
  } catch (error) {
    if (error instanceof BookingError) return error.code
    throw error
  }
}

test.group('Session booker', () => {
  test('slots follow the member’s hours and are shown in the customer’s zone', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const { context, service } = await bookerWorkspace(cleanup)
    const slots = await findSlots(context, {
      serviceId: service.id,
      ...MONDAY,
      timeZone: 'Europe/London',
    })
    // 09:00..16:00 Dubai, one an hour (50 minutes and a 10 minute buffer).
    assert.lengthOf(slots, 8)
    assert.equal(slots[0].start.toISOString(), MONDAY_9.toISOString())
    assert.equal(slots[0].localStart, '2026-12-07T05:00:00+00:00')
    assert.equal(slots[7].start.toISOString(), '2026-12-07T12:00:00.000Z')
  })

  test('50 concurrent attempts at one slot make exactly one booking; the rest hear slot_taken', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const { context, service, coach } = await bookerWorkspace(cleanup)
    const people = await Promise.all(Array.from({ length: 5 }, () => customer(context)))
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        reason(
          bookSlot(context, { serviceId: service.id, contactId: people[i % 5].id, start: MONDAY_9 })
        )
      )
    )
    assert.equal(outcomes.filter((o) => o === 'booked').length, 1)
    assert.equal(outcomes.filter((o) => o === 'slot_taken').length, 49)
    const { bookings } = await listBookings(context, { limit: 100 })
    assert.lengthOf(bookings, 1)
    assert.equal(bookings[0].memberId, coach.id)
    assert.equal(bookings[0].endsAt.toISOString(), '2026-12-07T05:50:00.000Z')
    assert.equal(bookings[0].blocksUntil.toISOString(), '2026-12-07T06:00:00.000Z')
  })

  test('the database refuses an overlapping booking of the member; a cancelled one frees the time', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const { context, service, coach } = await bookerWorkspace(cleanup)
    const person = await customer(context)
    const booked = await bookSlot(context, {
      serviceId: service.id,
      contactId: person.id,
      start: MONDAY_9,
    })
    // Straight to the table, past every check in the service: the constraint alone stops it.
    const overlapping = db.rawQuery(
      `insert into ${context.table('bookings')}
         (service_id, member_id, contact_id, starts_at, ends_at, blocks_until)
       values (?, ?, ?, '2026-12-07T05:55:00Z', '2026-12-07T06:45:00Z', '2026-12-07T06:55:00Z')`,
      [service.id, coach.id, person.id]
    )
    await assert.rejects(() => overlapping, /bookings_member_no_overlap/)
    // The buffer counts: 06:00 is free, 05:59 is not.
    await assert.rejects(
      () =>
        db.rawQuery(
          `insert into ${context.table('bookings')}
             (service_id, member_id, contact_id, starts_at, ends_at, blocks_until)
           values (?, ?, ?, '2026-12-07T05:59:00Z', '2026-12-07T06:49:00Z', '2026-12-07T06:59:00Z')`,
          [service.id, coach.id, person.id]
        ),
      /bookings_member_no_overlap/
    )
    await cancelBooking(context, booked.id, 'team')
    const again = await bookSlot(context, {
      serviceId: service.id,
      contactId: person.id,
      start: MONDAY_9,
    })
    assert.equal(again.status, 'confirmed')
    const slots = await findSlots(context, { serviceId: service.id, ...MONDAY, timeZone: 'UTC' })
    assert.notInclude(
      slots.map((s) => s.start.toISOString()),
      MONDAY_9.toISOString()
    )
  })

  test('a held slot is hidden from others for 10 minutes, then offered again', async ({
    assert,
    cleanup,
  }) => {
    const release = fixClock(NOW)
    cleanup(() => release())
    const { context, service } = await bookerWorkspace(cleanup)
    const first = await customer(context)
    const second = await customer(context)
    const hold = await holdSlot(context, {
      serviceId: service.id,
      start: MONDAY_9,
      contactId: first.id,
    })
    assert.equal(hold.expiresAt.getTime() - new Date(NOW).getTime(), 10 * 60_000)
    const starts = async (contactId: string) =>
      (
        await findSlots(context, { serviceId: service.id, ...MONDAY, timeZone: 'UTC', contactId })
      ).map((s) => s.start.toISOString())
    assert.include(await starts(first.id), MONDAY_9.toISOString())
    assert.notInclude(await starts(second.id), MONDAY_9.toISOString())
    assert.equal(
      await reason(
        bookSlot(context, { serviceId: service.id, contactId: second.id, start: MONDAY_9 })
      ),
      'slot_taken'
    )
    const later = fixClock(new Date(new Date(NOW).getTime() + 10 * 60_000))
    cleanup(() => later())
    assert.include(await starts(second.id), MONDAY_9.toISOString())
    const booking = await bookSlot(context, {
      serviceId: service.id,
      contactId: second.id,
      start: MONDAY_9,
    })
    assert.equal(booking.contactId, second.id)
  })

  test('times outside hours, on a day off or in the past are not bookable', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const { context, service } = await bookerWorkspace(cleanup)
    const person = await customer(context)
    const attempt = (start: string) =>
      reason(
        bookSlot(context, { serviceId: service.id, contactId: person.id, start: new Date(start) })
      )
    assert.equal(await attempt('2026-12-07T04:00:00Z'), 'slot_unavailable') // 08:00 Dubai
    assert.equal(await attempt('2026-12-07T05:30:00Z'), 'slot_unavailable') // not on the grid
    assert.equal(await attempt('2026-12-05T05:00:00Z'), 'slot_unavailable') // past
    assert.equal(await attempt('2026-12-12T05:00:00Z'), 'slot_unavailable') // Saturday
  })
})
