import { test } from '@japa/runner'
import { fixClock } from '#app/clock'
import { bookSlot, listBookingServices, memberHours } from '#modules/flows/index'
import { signIn } from '#tests/functional/workspace/member_browser'
import { bookerWorkspace, customer } from './booking_fixtures.js'

/*
| The booker's pages without JavaScript: a service made and edited by form
| (refused input re-rendered with 422 and field messages), hours saved, the
| week calendar with prev/next, a booking cancelled, the private ICS feed
| (made, read without a session, cut off by a new one), the customer's
| signed .ics, and another workspace's records answering 404.
*/

const NOW = '2026-12-06T10:00:00+04:00'
const MONDAY_9 = new Date('2026-12-07T05:00:00Z')

test.group('Session booker pages', () => {
  test('an owner makes and edits a service; bad input re-renders with 422 and field messages', async ({
    assert,
    cleanup,
  }) => {
    const ws = await bookerWorkspace(cleanup)
    const owner = await ws.member('owner')
    const web = await signIn(owner)
    const bad = await web.submit(
      `${ws.base}/bookings/services/new`,
      `${ws.base}/bookings/services`,
      [
        ['name', ''],
        ['duration_minutes', '3'],
        ['buffer_minutes', '0'],
        ['price_text', 'Free'],
      ]
    )
    assert.equal(bad.status, 422)
    assert.include(bad.body, 'Give the service a name')
    assert.include(bad.body, 'from 5 to 720')
    assert.include(bad.body, 'value="Free"')

    // A template language longer than its column, or a name WhatsApp would refuse: 422, not a 500.
    const badTemplate = await web.submit(
      `${ws.base}/bookings/services/new`,
      `${ws.base}/bookings/services`,
      [
        ['name', 'Viewing'],
        ['duration_minutes', '30'],
        ['buffer_minutes', '0'],
        ['price_text', ''],
        ['template_name', 'Viewing Reminder!'],
        ['template_language', 'english-united-kingdom'],
      ]
    )
    assert.equal(badTemplate.status, 422)
    assert.include(badTemplate.body, 'A template name is lower-case letters, digits and _,')
    assert.include(badTemplate.body, 'A language code such as en, ar or en_US,')
    assert.include(badTemplate.body, 'value="english-united-kingdom"')

    const made = await web.submit(
      `${ws.base}/bookings/services/new`,
      `${ws.base}/bookings/services`,
      [
        ['name', 'Viewing'],
        ['duration_minutes', '30'],
        ['buffer_minutes', '15'],
        ['price_text', 'Free'],
        ['member_ids', ws.coach.id],
        ['active', 'on'],
      ]
    )
    assert.equal(made.status, 302, made.body)
    const viewing = (await listBookingServices(ws.context)).find((s) => s.name === 'Viewing')!
    assert.equal(viewing.durationMinutes, 30)
    assert.equal(viewing.bufferMinutes, 15)
    assert.deepEqual(viewing.memberIds, [ws.coach.id])

    const edited = await web.submit(
      `${ws.base}/bookings/services/${viewing.id}`,
      `${ws.base}/bookings/services/${viewing.id}`,
      [
        ['name', 'Viewing (long)'],
        ['duration_minutes', '45'],
        ['buffer_minutes', '0'],
        ['price_text', ''],
      ]
    )
    assert.equal(edited.status, 302)
    const after = (await listBookingServices(ws.context)).find((s) => s.id === viewing.id)!
    assert.equal(after.name, 'Viewing (long)')
    assert.isFalse(after.active)
    assert.deepEqual(after.memberIds, [])
    const list = await web.get(`${ws.base}/bookings/services`)
    assert.include(list.body, 'Viewing (long)')
    assert.include(list.body, 'Coaching session')

    const ar = await web.get(`${ws.base}/bookings/services`, { 'Accept-Language': 'ar' })
    assert.equal(ar.status, 200)
  })

  test('hours are saved per member; a bad window or zone re-renders with 422', async ({
    assert,
    cleanup,
  }) => {
    const ws = await bookerWorkspace(cleanup)
    const admin = await ws.member('admin')
    const web = await signIn(admin)
    const bad = await web.submit(
      `${ws.base}/bookings/hours`,
      `${ws.base}/bookings/hours/${ws.coach.id}`,
      {
        time_zone: 'Mars/Olympus',
        mon_start: '12:00',
        mon_end: '09:00',
        days_off: '',
      }
    )
    assert.equal(bad.status, 422)
    assert.include(bad.body, 'the start before the end')
    assert.include(bad.body, 'Choose a time zone')
    const good = await web.submit(
      `${ws.base}/bookings/hours`,
      `${ws.base}/bookings/hours/${ws.coach.id}`,
      {
        time_zone: 'Europe/London',
        tue_start: '10:00',
        tue_end: '14:00',
        days_off: '2026-12-24, 2026-12-25',
      }
    )
    assert.equal(good.status, 302)
    const [hours] = await memberHours(ws.context, [ws.coach.id])
    assert.equal(hours.timeZone, 'Europe/London')
    assert.deepEqual(hours.weekly, { tue: [['10:00', '14:00']] })
    assert.deepEqual(hours.daysOff, ['2026-12-24', '2026-12-25'])
  })

  test('the week calendar shows bookings by member and day; a booking is cancelled from its page', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const ws = await bookerWorkspace(cleanup)
    const person = await customer(ws.context)
    const booking = await bookSlot(ws.context, {
      serviceId: ws.service.id,
      contactId: person.id,
      start: MONDAY_9,
    })
    const owner = await ws.member('owner')
    const web = await signIn(owner)
    const week = await web.get(`${ws.base}/bookings?week=2026-12-07`)
    assert.equal(week.status, 200)
    assert.include(week.body, `data-booking="${booking.id}"`)
    assert.include(week.body, `data-member="${ws.coach.id}"`)
    assert.include(week.body, 'href="/t/' + ws.tenant.slug + '/bookings?week=2026-12-14"')
    assert.include(week.body, 'href="/t/' + ws.tenant.slug + '/bookings?week=2026-11-30"')
    const nextWeek = await web.get(`${ws.base}/bookings?week=2026-12-14`)
    assert.notInclude(nextWeek.body, `data-booking="${booking.id}"`)

    const page = await web.get(`${ws.base}/bookings/${booking.id}`)
    assert.include(page.body, 'Layla')
    // 05:00 UTC is 05:00 in London, the customer's zone.
    assert.include(page.body, '05:00 (Europe/London)')
    const cancelled = await web.submit(
      `${ws.base}/bookings/${booking.id}`,
      `${ws.base}/bookings/${booking.id}/cancel`,
      {}
    )
    assert.equal(cancelled.status, 302)
    const again = await web.get(`${ws.base}/bookings/${booking.id}`)
    assert.include(again.body, 'data-status="cancelled"')
    const emptyWeek = await web.get(`${ws.base}/bookings?week=2026-12-07`)
    assert.notInclude(emptyWeek.body, `data-booking="${booking.id}"`)

    // An agent sees the calendar but cannot cancel.
    const agent = await signIn(ws.coach)
    assert.equal((await agent.get(`${ws.base}/bookings/${booking.id}`)).status, 200)
    assert.equal((await agent.post(`${ws.base}/bookings/${booking.id}/cancel`, {})).status, 403)
  })

  test('a member’s private ICS feed lists their bookings; a new token cuts off the old', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const ws = await bookerWorkspace(cleanup)
    const person = await customer(ws.context)
    const booking = await bookSlot(ws.context, {
      serviceId: ws.service.id,
      contactId: person.id,
      start: MONDAY_9,
    })
    const web = await signIn(ws.coach)
    const made = await web.submit(`${ws.base}/bookings/hours`, `${ws.base}/bookings/feed`, {})
    assert.equal(made.status, 302)
    const shown = await web.get(`${ws.base}/bookings/hours`)
    const url = shown.body.match(
      /data-feed-url[^>]*value="([^"]+)"|value="([^"]+)"[^>]*data-feed-url/
    )
    const feedUrl = (url?.[1] ?? url?.[2])!
    assert.match(feedUrl, /\/bookings\/feed\/[\w-]+\.ics$/)
    const path = new URL(feedUrl).pathname
    // Shown once only.
    assert.notInclude((await web.get(`${ws.base}/bookings/hours`)).body, path)

    const feed = await fetch(`${WebSessionBase()}${path}`)
    assert.equal(feed.status, 200)
    assert.match(feed.headers.get('content-type')!, /^text\/calendar/)
    const ics = await feed.text()
    assert.include(ics, `UID:${booking.id}@${ws.tenant.slug}.bookings.flomastr\r\n`)
    assert.include(ics, 'DTSTART:20261207T050000Z\r\n')
    assert.include(ics, 'DTEND:20261207T055000Z\r\n')
    assert.include(ics, 'SUMMARY:Coaching session\r\n')

    await web.submit(`${ws.base}/bookings/hours`, `${ws.base}/bookings/feed`, {})
    assert.equal((await fetch(`${WebSessionBase()}${path}`)).status, 404)
    assert.equal((await fetch(`${WebSessionBase()}${ws.base}/bookings/feed/nope.ics`)).status, 404)

    // The token is the workspace's: the same path under another workspace is not found.
    const other = await bookerWorkspace(cleanup, 'bko')
    assert.equal(
      (await fetch(`${WebSessionBase()}${path.replace(ws.tenant.slug, other.tenant.slug)}`)).status,
      404
    )
  })

  test('another workspace’s service, booking and member hours are not found', async ({
    assert,
    cleanup,
  }) => {
    cleanup(fixClock(NOW))
    const mine = await bookerWorkspace(cleanup, 'bkm')
    const theirs = await bookerWorkspace(cleanup, 'bkt')
    const person = await customer(theirs.context)
    const booking = await bookSlot(theirs.context, {
      serviceId: theirs.service.id,
      contactId: person.id,
      start: MONDAY_9,
    })
    const owner = await mine.member('owner')
    const web = await signIn(owner)
    assert.equal((await web.get(`${mine.base}/bookings/services/${theirs.service.id}`)).status, 404)
    assert.equal((await web.get(`${mine.base}/bookings/${booking.id}`)).status, 404)
    assert.equal((await web.post(`${mine.base}/bookings/${booking.id}/cancel`, {})).status, 404)
    assert.equal(
      (await web.post(`${mine.base}/bookings/hours/${theirs.coach.id}`, { time_zone: 'UTC' }))
        .status,
      404
    )
    const edit = await web.post(`${mine.base}/bookings/services/${theirs.service.id}`, {
      name: 'Stolen',
      duration_minutes: '30',
      buffer_minutes: '0',
    })
    assert.equal(edit.status, 404)
    assert.equal((await listBookingServices(theirs.context))[0].name, 'Coaching session')
    // Their page of the calendar is not reachable by my session either.
    assert.notEqual((await web.get(`${theirs.base}/bookings`)).status, 200)
  })
})

function WebSessionBase() {
  return `http://${process.env.HOST ?? '127.0.0.1'}:${process.env.PORT ?? 3333}`
}
