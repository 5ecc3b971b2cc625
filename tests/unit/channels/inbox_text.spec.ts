import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { normalizeLabels } from '#modules/channels/services/conversation_service'
import { prefixTsQuery } from '#modules/channels/services/inbox_service'
import { formatBytes, textToHtml } from '#modules/channels/services/message_view'
import { snoozeUntilFrom } from '#modules/channels/validators/inbox_validator'

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

  test('file sizes read in the reader’s language', ({ assert }) => {
    assert.equal(formatBytes(1_572_864, 'en'), '1.5 MB')
    assert.equal(formatBytes(512, 'en'), '512 byte')
  })
})
