import { test } from '@japa/runner'
import {
  dateFromUnix,
  describeInboundMessage,
  orderingOf,
} from '#modules/channels/services/whatsapp_payload'

test.group('WhatsApp payload', () => {
  test('a timestamp is a date only when it is one', ({ assert }) => {
    assert.equal(dateFromUnix('1765000000')!.toISOString(), '2025-12-06T05:46:40.000Z')
    assert.equal(dateFromUnix(0)!.getTime(), 0)
    // Nothing PostgreSQL would refuse, and nothing a sender could use to sort first or last.
    for (const value of ['1e308', '-5', 'NaN', 'soon', '', '253402300800', undefined]) {
      assert.isNull(dateFromUnix(value), String(value))
    }
  })

  test("a webhook's senders and earliest message, for the ordered hand-off", ({ assert }) => {
    const message = (from: string, timestamp: string) => ({ from, id: `wamid.${from}`, timestamp })
    const body = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'waba',
          changes: [
            {
              field: 'messages',
              value: {
                messages: [message('15551', '1765000005'), message('15552', 'garbage')],
                statuses: [{ id: 'wamid.out', status: 'read', timestamp: '1765000000' }],
              },
            },
            { field: 'messages', value: { messages: [message('15551', '1765000002')] } },
          ],
        },
      ],
    }
    const ordering = orderingOf(body as any)
    assert.sameMembers(ordering.senders, ['15551', '15552'])
    // Statuses say nothing about the order of a customer's messages.
    assert.equal(ordering.earliestMessageAt!.getTime(), 1765000002 * 1000)
    assert.deepEqual(orderingOf({ object: 'whatsapp_business_account', entry: [] }), {
      senders: [],
      earliestMessageAt: null,
    })
  })

  test('a click-to-WhatsApp referral is kept on the message (its documented fields, as text)', ({
    assert,
  }) => {
    const fields = describeInboundMessage({
      id: 'wamid.REF',
      from: '971501234567',
      timestamp: '1700000000',
      type: 'text',
      text: { body: 'Hi, I saw your ad' },
      referral: {
        source_url: 'https://fb.me/3cr4Wqqkv',
        source_id: '120208',
        source_type: 'ad',
        headline: 'Cover for your new car',
        body: 'Quotes in 5 minutes',
        media_type: 'image',
        image_url: 'https://scontent.example/ad.jpg',
        ctwa_clid: 'ARAkLkA8rmlFeiCktEJQ',
        tracking: { nested: true },
      },
    })
    assert.equal(fields.type, 'text')
    assert.equal(fields.body, 'Hi, I saw your ad')
    assert.deepEqual(fields.payload.referral, {
      source_url: 'https://fb.me/3cr4Wqqkv',
      source_id: '120208',
      source_type: 'ad',
      headline: 'Cover for your new car',
      body: 'Quotes in 5 minutes',
      media_type: 'image',
      image_url: 'https://scontent.example/ad.jpg',
      ctwa_clid: 'ARAkLkA8rmlFeiCktEJQ',
    })
    const plain = describeInboundMessage({
      id: 'wamid.PLAIN',
      from: '971501234567',
      timestamp: '1700000000',
      type: 'text',
      text: { body: 'Hello' },
    })
    assert.notProperty(plain.payload, 'referral')
    const junk = describeInboundMessage({
      id: 'wamid.JUNK',
      from: '971501234567',
      timestamp: '1700000000',
      type: 'text',
      text: { body: 'Hello' },
      referral: 'not an object' as any,
    })
    assert.notProperty(junk.payload, 'referral')
  })
})
