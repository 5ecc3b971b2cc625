import { test } from '@japa/runner'
import {
  assistantActive,
  defaultAssistantSettings,
  withinBusinessHours,
  type AssistantSettings,
} from '#modules/brain/services/assistant_settings'
import { FIXED_INSTANTS, useFixedClock } from '#tests/helpers/clock'

/*
| Business hours decide whether an outside-hours assistant answers. Read at
| fixed instants so the outcome is the same whatever day the suite runs.
*/

function dubaiOffice(): AssistantSettings {
  return {
    ...defaultAssistantSettings('channel'),
    enabled: true,
    activeMode: 'outside_hours',
    timezone: 'Asia/Dubai',
    // Monday to Friday, 9 to 5.
    businessHours: Object.fromEntries(
      [1, 2, 3, 4, 5].map((day) => [String(day), ['09:00', '17:00'] as [string, string]])
    ),
  }
}

test.group('Assistant business hours', () => {
  test(
    'on {name} the Monday-to-Friday office is {state}, and the outside-hours assistant {answers}'
  )
    .with(
      FIXED_INSTANTS.map((instant) => {
        // Only Wednesday 15:00 in Dubai is within the office's hours.
        const open = instant.name === 'a Wednesday afternoon'
        return {
          ...instant,
          open,
          state: open ? 'open' : 'closed',
          answers: open ? 'stays quiet' : 'answers',
        }
      })
    )
    .run(({ assert, cleanup }, { at, open }) => {
      useFixedClock(cleanup, at)
      const settings = dubaiOffice()
      assert.equal(withinBusinessHours(settings), open)
      assert.equal(assistantActive(settings), !open)
      // Set to answer always, it answers whatever the hour.
      assert.isTrue(assistantActive({ ...settings, activeMode: 'always' }))
    })

  test('hours are read in the business’s time zone, not the server’s', ({ assert, cleanup }) => {
    // Saturday 23:30 UTC is Sunday 03:30 in Dubai: a Sunday-only office is open.
    useFixedClock(cleanup, '2026-12-05T23:30:00Z')
    const sundayNights: AssistantSettings = {
      ...dubaiOffice(),
      businessHours: { 7: ['00:00', '06:00'] },
    }
    assert.isTrue(withinBusinessHours(sundayNights))
    assert.isFalse(withinBusinessHours({ ...sundayNights, timezone: 'UTC' }))
  })

  test('the closing minute is outside the hours; the opening minute is inside', ({
    assert,
    cleanup,
  }) => {
    const settings = dubaiOffice()
    useFixedClock(cleanup, '2026-12-09T17:00:00+04:00')
    assert.isFalse(withinBusinessHours(settings))
    useFixedClock(cleanup, '2026-12-09T09:00:00+04:00')
    assert.isTrue(withinBusinessHours(settings))
  })
})
