import { test } from '@japa/runner'
import { setTimeout as sleep } from 'node:timers/promises'
import { createSubscription } from '#modules/integrations/services/webhook_subscription_service'
import WebhookDelivery from '#modules/integrations/models/webhook_delivery'
import { fixClock } from '#app/clock'
import { bookSlot } from '#modules/flows/index'
import { api, makeKey } from '#tests/functional/integrations/api_client'
import { bookerWorkspace, customer } from './booking_fixtures.js'

/*
| /api/v1/bookings and /api/v1/booking/*: slots in the customer's zone,
| booking (50 programs at once for one slot make one booking; the others
| hear 409 slot_taken), listing with filters and a cursor, cancelling,
| scopes, and another workspace's records answering 404.
*/

const NOW = '2026-12-06T10:00:00+04:00'
const MONDAY_9 = '2026-12-07T05:00:00.000Z'

test.group('API bookings', () => {
  test('slots, then 50 concurrent POSTs for one slot make one booking and 49 slot_taken', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const ws = await bookerWorkspace(cleanup)
    const { token } = await makeKey(ws.tenant)
    const person = await customer(ws.context, 'America/New_York')
    const slots = await api(
      'GET',
      `/api/v1/booking/slots?service_id=${ws.service.id}&from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z&time_zone=America/New_York`,
      { token }
    )
    assert.equal(slots.status, 200, slots.text)
    assert.equal(slots.json.data.length, 8)
    assert.equal(slots.json.data[0].start, MONDAY_9)
    assert.equal(slots.json.data[0].local_start, '2026-12-07T00:00:00-05:00')
    assert.deepEqual(slots.json.data[0].member_ids, [ws.coach.id])

    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        api('POST', '/api/v1/bookings', {
          token,
          body: { service_id: ws.service.id, contact_id: person.id, start: MONDAY_9 },
        })
      )
    )
    const created = answers.filter((a) => a.status === 201)
    assert.lengthOf(created, 1)
    const refused = answers.filter((a) => a.status === 409)
    assert.lengthOf(refused, 49)
    for (const answer of refused) assert.equal(answer.json.error.code, 'slot_taken')
    assert.equal(created[0].json.local_start, '2026-12-07T00:00:00-05:00')
    assert.equal(created[0].json.time_zone, 'America/New_York')
    assert.equal(created[0].json.end, '2026-12-07T05:50:00.000Z')

    const after = await api(
      'GET',
      `/api/v1/booking/slots?service_id=${ws.service.id}&from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z`,
      { token }
    )
    assert.equal(after.json.data.length, 7)
  })

  test('list with filters and a cursor; cancel; bad input is 422', async ({ assert, cleanup }) => {
    cleanup(fixClock(NOW))
    const ws = await bookerWorkspace(cleanup)
    const { token } = await makeKey(ws.tenant)
    const person = await customer(ws.context)
    const ids: string[] = []
    for (const hour of [5, 6, 7]) {
      const booking = await bookSlot(ws.context, {
        serviceId: ws.service.id,
        contactId: person.id,
        start: new Date(`2026-12-07T0${hour}:00:00Z`),
      })
      ids.push(booking.id)
    }
    const first = await api('GET', '/api/v1/bookings?limit=2', { token })
    assert.equal(first.status, 200)
    assert.deepEqual(
      first.json.data.map((b: any) => b.id),
      ids.slice(0, 2)
    )
    const second = await api('GET', `/api/v1/bookings?limit=2&cursor=${first.json.next_cursor}`, {
      token,
    })
    assert.deepEqual(
      second.json.data.map((b: any) => b.id),
      ids.slice(2)
    )
    assert.isNull(second.json.next_cursor)
    const ranged = await api(
      'GET',
      `/api/v1/bookings?from=2026-12-07T06:00:00Z&to=2026-12-07T07:00:00Z&member_id=${ws.coach.id}`,
      { token }
    )
    assert.deepEqual(
      ranged.json.data.map((b: any) => b.id),
      [ids[1]]
    )
    const nobody = await api('GET', `/api/v1/bookings?member_id=${person.id}`, { token })
    assert.lengthOf(nobody.json.data, 0)

    const cancelled = await api('POST', `/api/v1/bookings/${ids[0]}/cancel`, { token })
    assert.equal(cancelled.status, 200)
    assert.equal(cancelled.json.status, 'cancelled')
    assert.equal(cancelled.json.cancelled_by, 'api')
    const twice = await api('POST', `/api/v1/bookings/${ids[0]}/cancel`, { token })
    assert.equal(twice.status, 200)
    const live = await api('GET', '/api/v1/bookings?status=confirmed', { token })
    assert.lengthOf(live.json.data, 2)

    const bad = await api('POST', '/api/v1/bookings', {
      token,
      body: { service_id: ws.service.id, contact_id: person.id, start: 'Monday' },
    })
    assert.equal(bad.status, 422)
    assert.property(bad.json.error.fields, 'start')
    // The right shape is not enough: a date the calendar does not have is 422, not a 500.
    const impossible = await api('GET', '/api/v1/bookings?from=2026-02-30T25:61:00Z', { token })
    assert.equal(impossible.status, 422)
    assert.property(impossible.json.error.fields, 'from')
    const outside = await api('POST', '/api/v1/bookings', {
      token,
      body: { service_id: ws.service.id, contact_id: person.id, start: '2026-12-07T02:00:00Z' },
    })
    assert.equal(outside.status, 409)
    assert.equal(outside.json.error.code, 'slot_unavailable')
    const zone = await api(
      'GET',
      `/api/v1/booking/slots?service_id=${ws.service.id}&from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z&time_zone=Mars/Olympus`,
      { token }
    )
    assert.equal(zone.status, 422)
    assert.property(zone.json.error.fields, 'time_zone')
  })

  test('scopes: bookings:read lists and reads slots but cannot book or cancel', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const ws = await bookerWorkspace(cleanup)
    const person = await customer(ws.context)
    const booking = await bookSlot(ws.context, {
      serviceId: ws.service.id,
      contactId: person.id,
      start: new Date(MONDAY_9),
    })
    const { token: reader } = await makeKey(ws.tenant, ['bookings:read'])
    const { token: other } = await makeKey(ws.tenant, ['contacts:write'])
    assert.equal((await api('GET', '/api/v1/bookings', { token: reader })).status, 200)
    assert.equal(
      (await api('GET', `/api/v1/bookings/${booking.id}`, { token: reader })).status,
      200
    )
    assert.equal((await api('GET', '/api/v1/booking/services', { token: reader })).status, 200)
    assert.equal(
      (await api('POST', `/api/v1/bookings/${booking.id}/cancel`, { token: reader })).status,
      403
    )
    const post = await api('POST', '/api/v1/bookings', {
      token: reader,
      body: { service_id: ws.service.id, contact_id: person.id, start: '2026-12-07T06:00:00Z' },
    })
    assert.equal(post.status, 403)
    assert.equal((await api('GET', '/api/v1/bookings', { token: other })).status, 403)
    const { token: writer } = await makeKey(ws.tenant, ['bookings:write'])
    assert.equal((await api('GET', '/api/v1/bookings', { token: writer })).status, 200)
  })

  test('another workspace’s booking, service and contact are not found', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const mine = await bookerWorkspace(cleanup, 'bam')
    const theirs = await bookerWorkspace(cleanup, 'bat')
    const { token } = await makeKey(mine.tenant)
    const myContact = await customer(mine.context)
    const theirContact = await customer(theirs.context)
    const booking = await bookSlot(theirs.context, {
      serviceId: theirs.service.id,
      contactId: theirContact.id,
      start: new Date(MONDAY_9),
    })
    assert.equal((await api('GET', `/api/v1/bookings/${booking.id}`, { token })).status, 404)
    assert.equal(
      (await api('POST', `/api/v1/bookings/${booking.id}/cancel`, { token })).status,
      404
    )
    const list = await api('GET', '/api/v1/bookings', { token })
    assert.lengthOf(list.json.data, 0)
    const slots = await api(
      'GET',
      `/api/v1/booking/slots?service_id=${theirs.service.id}&from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z`,
      { token }
    )
    assert.equal(slots.status, 404)
    const withTheirService = await api('POST', '/api/v1/bookings', {
      token,
      body: {
        service_id: theirs.service.id,
        contact_id: myContact.id,
        start: '2026-12-07T06:00:00Z',
      },
    })
    assert.equal(withTheirService.status, 404)
    const withTheirContact = await api('POST', '/api/v1/bookings', {
      token,
      body: {
        service_id: mine.service.id,
        contact_id: theirContact.id,
        start: '2026-12-07T06:00:00Z',
      },
    })
    assert.equal(withTheirContact.status, 404)
  })

  test('booking and cancelling send booking.created and booking.cancelled webhooks', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const ws = await bookerWorkspace(cleanup)
    const { token } = await makeKey(ws.tenant)
    const person = await customer(ws.context)
    const subscription = await createSubscription(ws.context, {
      url: 'https://hooks.example.com/flomastr',
      events: ['booking.created', 'booking.cancelled'],
    })
    const made = await api('POST', '/api/v1/bookings', {
      token,
      body: { service_id: ws.service.id, contact_id: person.id, start: MONDAY_9 },
    })
    assert.equal(made.status, 201)
    await api('POST', `/api/v1/bookings/${made.json.id}/cancel`, { token })
    let deliveries: WebhookDelivery[] = []
    for (let i = 0; i < 100 && deliveries.length < 2; i++) {
      deliveries = await ws.context.transaction((trx) =>
        WebhookDelivery.query({ client: trx })
          .where('subscription_id', subscription.id)
          .orderBy('created_at')
      )
      if (deliveries.length < 2) await sleep(50)
    }
    assert.deepEqual(deliveries.map((d) => d.eventType).sort(), [
      'booking.cancelled',
      'booking.created',
    ])
    const cancelled = JSON.parse(deliveries.find((d) => d.eventType === 'booking.cancelled')!.body)
    assert.equal(cancelled.data.id, made.json.id)
    assert.equal(cancelled.data.status, 'cancelled')
    assert.equal(cancelled.data.cancelled_by, 'api')
  })
})
