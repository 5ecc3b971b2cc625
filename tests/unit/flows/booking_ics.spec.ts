import { test } from '@japa/runner'
import { buildIcs, bookingUid } from '#modules/flows/index'

const event = {
  uid: bookingUid('acme', '8e2b4c6d-1a3f-4b5c-9d7e-2f4a6b8c0d13'),
  start: new Date('2026-12-07T05:00:00Z'),
  end: new Date('2026-12-07T05:50:00Z'),
  summary: 'Coaching; review, notes\\plans',
  status: 'confirmed' as const,
  sequence: 2,
  stamp: new Date('2026-12-06T06:00:00.123Z'),
}

test.group('Booking ICS', () => {
  test('a VEVENT in a VCALENDAR with CRLF lines, UTC times, escaped text and SEQUENCE', ({
    assert,
  }) => {
    const ics = buildIcs([event])
    const lines = ics.split('\r\n')
    assert.equal(lines[0], 'BEGIN:VCALENDAR')
    assert.include(lines, 'VERSION:2.0')
    assert.include(lines, 'BEGIN:VEVENT')
    assert.include(lines, 'UID:8e2b4c6d-1a3f-4b5c-9d7e-2f4a6b8c0d13@acme.bookings.flomastr')
    assert.include(lines, 'DTSTAMP:20261206T060000Z')
    assert.include(lines, 'DTSTART:20261207T050000Z')
    assert.include(lines, 'DTEND:20261207T055000Z')
    assert.include(lines, 'SUMMARY:Coaching\\; review\\, notes\\\\plans')
    assert.include(lines, 'STATUS:CONFIRMED')
    assert.include(lines, 'SEQUENCE:2')
    assert.equal(lines.at(-2), 'END:VCALENDAR')
    assert.equal(lines.at(-1), '')
    assert.notInclude(ics.replaceAll('\r\n', ''), '\n')
    assert.include(buildIcs([{ ...event, status: 'cancelled' }]), 'STATUS:CANCELLED\r\n')
  })

  test('long lines fold at 75 octets without splitting a UTF-8 character', ({ assert }) => {
    const summary = 'جلسة تدريب '.repeat(12) + '\nsecond line'
    const ics = buildIcs([{ ...event, summary }])
    for (const line of ics.split('\r\n')) assert.isAtMost(Buffer.byteLength(line), 75)
    const unfolded = ics.replaceAll('\r\n ', '')
    assert.include(unfolded, `SUMMARY:${'جلسة تدريب '.repeat(12)}\\nsecond line\r\n`)
    assert.notInclude(ics, '\uFFFD')
  })
})
