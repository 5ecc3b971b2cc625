import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { normalizeLabels } from '#modules/inbox/services/conversation_service'
import { prefixTsQuery } from '#modules/inbox/services/inbox_service'
import { formatBytes, textToHtml } from '#modules/inbox/services/message_view'
import { snoozeUntilFrom } from '#modules/inbox/validators/inbox_validator'
import { FIXED_INSTANTS, useFixedClock } from '#tests/helpers/clock'

test.group('Inbox text and input rules', () => {
  test('message text is escaped; only http(s) addresses become links, without trailing punctuation', ({
    assert,
  }) => {
    assert.equal(
      textToHtml('<script>alert(1)</script> & "quotes"'),
      '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;'
    )
    assert.equal(
      textToHtml('See https://a.test/x?y=1&z=2.'),
      'See <a href="https://a.test/x?y=1&amp;z=2" rel="noopener noreferrer nofollow" target="_blank">https://a.test/x?y=1&amp;z=2</a>.'
    )
    assert.equal(
      textToHtml('javascript:alert(1) and ftp://x.test'),
      'javascript:alert(1) and ftp://x.test'
    )
    assert.equal(
      textToHtml('(http://a.test/"onmouseover=x)'),
      '(<a href="http://a.test/" rel="noopener noreferrer nofollow" target="_blank">http://a.test/</a>&quot;onmouseover=x)'
    )
  })

  test('search words become a prefix query of letters and digits only', ({ assert }) => {
    assert.equal(prefixTsQuery('Renewal  pol'), 'renewal:* & pol:*')
    assert.equal(prefixTsQuery("':* & !| ()"), null)
    assert.equal(prefixTsQuery('تجديد الوثيقة'), 'تجديد:* & الوثيقة:*')
  })

  test('labels are trimmed, lower-cased and deduplicated; limits are refused, not cut', ({
    assert,
  }) => {
    assert.deepEqual(normalizeLabels([' VIP ', 'vip', 'Follow   Up', '']), ['vip', 'follow up'])
    assert.throws(() => normalizeLabels(['x'.repeat(41)]), /to 40 characters/)
    assert.throws(
      () => normalizeLabels(Array.from({ length: 21 }, (_, i) => `l${i}`)),
      /at most 20 labels/
    )
  })

  test('snooze choices are read in the member’s time zone', ({ assert }) => {
    // A Friday evening in Dubai (UTC+4).
    const now = DateTime.fromISO('2025-03-07T19:30:00', { zone: 'Asia/Dubai' })
    const at = (until: string, custom?: string) =>
      snoozeUntilFrom({ until, custom_until: custom }, 'Asia/Dubai', now).setZone('Asia/Dubai')
    assert.equal(at('1h').toISO(), '2025-03-07T20:30:00.000+04:00')
    assert.equal(at('tomorrow').toISO(), '2025-03-08T09:00:00.000+04:00')
    assert.equal(at('next_week').toISO(), '2025-03-10T09:00:00.000+04:00')
    assert.equal(at('custom', '2025-04-01T08:15').toISO(), '2025-04-01T08:15:00.000+04:00')
    assert.throws(() => at('custom', '2025-02-30T08:15'), /date and time/)
    assert.throws(() => at('later'), /when to snooze/)
  })

  test('snooze presets on {name}: tomorrow 9:00 and next week are two different times')
    .with([
      { ...instant('a Sunday morning'), tomorrow: '2026-12-07', nextWeek: '2026-12-14' },
      { ...instant('a Saturday night'), tomorrow: '2026-12-06', nextWeek: '2026-12-07' },
      {
        ...instant('a Saturday night in UTC, Sunday in Dubai'),
        tomorrow: '2026-12-07',
        nextWeek: '2026-12-14',
      },
      { ...instant('a Wednesday afternoon'), tomorrow: '2026-12-10', nextWeek: '2026-12-14' },
    ])
    .run(({ assert }, { at, tomorrow, nextWeek }) => {
      const now = DateTime.fromISO(at, { setZone: true })
      const local = (until: string) =>
        snoozeUntilFrom({ until }, 'Asia/Dubai', now).setZone('Asia/Dubai').toISO()
      assert.equal(local('tomorrow'), `${tomorrow}T09:00:00.000+04:00`)
      assert.equal(local('next_week'), `${nextWeek}T09:00:00.000+04:00`)
    })

  test('snooze presets keep 9:00 local across a daylight-saving change', ({ assert }) => {
    // Saturday evening in London; the clocks go forward that night.
    const now = DateTime.fromISO('2027-03-27T20:00:00', { zone: 'Europe/London' })
    const at = (until: string) =>
      snoozeUntilFrom({ until }, 'Europe/London', now).setZone('Europe/London').toISO()
    assert.equal(at('tomorrow'), '2027-03-28T09:00:00.000+01:00')
    assert.equal(at('next_week'), '2027-03-29T09:00:00.000+01:00')
  })

  test('without a given time, snooze presets count from the app’s clock', ({ assert, cleanup }) => {
    useFixedClock(cleanup, instant('a Sunday morning').at)
    assert.equal(
      snoozeUntilFrom({ until: 'tomorrow' }, 'Asia/Dubai').setZone('Asia/Dubai').toISO(),
      '2026-12-07T09:00:00.000+04:00'
    )
    assert.equal(
      snoozeUntilFrom({ until: '1h' }, 'UTC').toUTC().toISO(),
      '2026-12-06T07:00:00.000Z'
    )
  })

  test('file sizes read in the reader’s language', ({ assert }) => {
    assert.equal(formatBytes(1_572_864, 'en'), '1.5 MB')
    assert.equal(formatBytes(512, 'en'), '512 byte')
  })
})

function instant(name: string) {
  const found = FIXED_INSTANTS.find((candidate) => candidate.name === name)
  if (!found) throw new Error(`no fixed instant named ${name}`)
  return found
}
