import { test } from '@japa/runner'
import { computeSlots, type MemberAvailability, type SlotRequest } from '#modules/flows/index'

const iso = (slots: { start: Date }[]) => slots.map((s) => s.start.toISOString())

function request(members: MemberAvailability[], overrides: Partial<SlotRequest> = {}): SlotRequest {
  return {
    durationMinutes: 50,
    bufferMinutes: 10,
    members,
    busy: [],
    from: new Date('2026-12-07T00:00:00Z'),
    to: new Date('2026-12-08T00:00:00Z'),
    notBefore: new Date('2026-12-01T00:00:00Z'),
    customerZone: 'UTC',
    ...overrides,
  }
}

const ana: MemberAvailability = {
  memberId: 'ana',
  timeZone: 'UTC',
  weekly: { mon: [['09:00', '12:00']] },
  daysOff: [],
}

test.group('Booking slots', () => {
  test('slots fill the working window, stepped by duration plus buffer', ({ assert }) => {
    // Monday 7 December 2026: 09:00, 10:00, 11:00 (11:50 ends inside 12:00).
    assert.deepEqual(iso(computeSlots(request([ana]))), [
      '2026-12-07T09:00:00.000Z',
      '2026-12-07T10:00:00.000Z',
      '2026-12-07T11:00:00.000Z',
    ])
    assert.deepEqual(
      iso(computeSlots(request([ana], { durationMinutes: 60, bufferMinutes: 30 }))),
      ['2026-12-07T09:00:00.000Z', '2026-12-07T10:30:00.000Z']
    )
  })

  test('a busy time removes every slot whose time plus buffer overlaps it', ({ assert }) => {
    const busy = [
      {
        memberId: 'ana',
        start: new Date('2026-12-07T09:55:00Z'),
        end: new Date('2026-12-07T10:05:00Z'),
      },
      {
        memberId: 'other',
        start: new Date('2026-12-07T11:00:00Z'),
        end: new Date('2026-12-07T12:00:00Z'),
      },
    ]
    // 09:00 blocks until 10:00 (buffer), which overlaps 09:55; 10:00 overlaps too.
    assert.deepEqual(iso(computeSlots(request([ana], { busy }))), ['2026-12-07T11:00:00.000Z'])
  })

  test('days off and days without hours offer nothing; nothing before now', ({ assert }) => {
    assert.deepEqual(computeSlots(request([{ ...ana, daysOff: ['2026-12-07'] }])), [])
    assert.deepEqual(
      computeSlots(
        request([ana], {
          from: new Date('2026-12-08T00:00:00Z'),
          to: new Date('2026-12-10T00:00:00Z'),
        })
      ),
      []
    )
    assert.deepEqual(
      iso(computeSlots(request([ana], { notBefore: new Date('2026-12-07T09:30:00Z') }))),
      ['2026-12-07T10:00:00.000Z', '2026-12-07T11:00:00.000Z']
    )
  })

  test('a day off is the member’s local date, not UTC’s', ({ assert }) => {
    const dubai = {
      ...ana,
      timeZone: 'Asia/Dubai',
      weekly: { tue: [['01:00', '02:00']] as [string, string][] },
    }
    // Tuesday 01:00 in Dubai is Monday 21:00 UTC.
    const range = { from: new Date('2026-12-07T00:00:00Z'), to: new Date('2026-12-09T00:00:00Z') }
    assert.deepEqual(iso(computeSlots(request([dubai], range))), ['2026-12-07T21:00:00.000Z'])
    assert.deepEqual(computeSlots(request([{ ...dubai, daysOff: ['2026-12-08'] }], range)), [])
    assert.lengthOf(computeSlots(request([{ ...dubai, daysOff: ['2026-12-07'] }], range)), 1)
  })

  test('hours stay on the wall clock across daylight saving; slots keep their real length', ({
    assert,
  }) => {
    const ny: MemberAvailability = {
      memberId: 'ny',
      timeZone: 'America/New_York',
      weekly: { fri: [['09:00', '10:00']], mon: [['09:00', '10:00']] },
      daysOff: [],
    }
    // DST starts in New York on Sunday 8 March 2026.
    const slots = computeSlots(
      request([ny], {
        durationMinutes: 60,
        bufferMinutes: 0,
        notBefore: new Date('2026-01-01T00:00:00Z'),
        from: new Date('2026-03-06T00:00:00Z'),
        to: new Date('2026-03-10T00:00:00Z'),
      })
    )
    assert.deepEqual(iso(slots), ['2026-03-06T14:00:00.000Z', '2026-03-09T13:00:00.000Z'])
    for (const slot of slots) assert.equal(slot.end.getTime() - slot.start.getTime(), 3_600_000)

    // London springs forward at 01:00 on 29 March 2026: a window 00:00–04:00 local
    // is three real hours, so three one-hour slots, the second at 02:00 BST.
    const london: MemberAvailability = {
      memberId: 'ldn',
      timeZone: 'Europe/London',
      weekly: { sun: [['00:00', '04:00']] },
      daysOff: [],
    }
    const spring = computeSlots(
      request([london], {
        durationMinutes: 60,
        bufferMinutes: 0,
        notBefore: new Date('2026-01-01T00:00:00Z'),
        from: new Date('2026-03-28T12:00:00Z'),
        to: new Date('2026-03-30T00:00:00Z'),
        customerZone: 'Europe/London',
      })
    )
    assert.deepEqual(iso(spring), [
      '2026-03-29T00:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T02:00:00.000Z',
    ])
    assert.deepEqual(
      spring.map((s) => s.localStart),
      ['2026-03-29T00:00:00+00:00', '2026-03-29T02:00:00+01:00', '2026-03-29T03:00:00+01:00']
    )
  })

  test('slots are shown in the customer’s zone and merge members free at the same time', ({
    assert,
  }) => {
    const dubai: MemberAvailability = {
      memberId: 'dubai',
      timeZone: 'Asia/Dubai',
      weekly: { mon: [['13:00', '14:00']] },
      daysOff: [],
    }
    const slots = computeSlots(request([ana, dubai], { customerZone: 'America/New_York' }))
    // Dubai 13:00 is 09:00 UTC, the same instant as Ana's first slot.
    assert.deepEqual(slots[0].memberIds, ['ana', 'dubai'])
    assert.equal(slots[0].localStart, '2026-12-07T04:00:00-05:00')
    assert.deepEqual(slots[1].memberIds, ['ana'])
  })
})
