import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import type { Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { listBookings, listFlows } from '#modules/flows/index'
import { galleryFlow } from '#modules/flows/services/gallery'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { useWorkers, withDefaultQueueWorker } from '#tests/helpers/queue'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
} from '#tests/helpers/browser'
import { coachGiving } from '#tests/functional/flows/booking_fixtures'
import { flowLabels, keepRunningDue } from './flow_support.js'

/*
| Booking a session through a guided flow, in Chromium: a member installs
| the gallery's coaching booking flow, picks the workspace's service in
| the booking node's panel, publishes, and tries it on the sandbox phone:
| the customer taps "Book a session", opens the list of free times, taps
| one and is confirmed; the booking is on the team's week calendar.
| English and Arabic, screenshots.
*/

test.group('Journey: booking a session through a guided flow', (group) => {
  const browser = useBrowser(group)
  useWorkers(group, ['inbound'])
  withDefaultQueueWorker(group)

  for (const lang of ['en', 'ar'] as const) {
    test(`a member installs the coaching flow, picks the service, and a customer books in the sandbox (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const C = flowLabels(lang).canvas
      const made = await makeTenant('fbk')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang, name: 'Sara Haddad' })
      const { coach, service } = await coachGiving(cleanup, made)
      const due = keepRunningDue(made.context)
      cleanup(due.stop)
      const ready = galleryFlow('coaching_booking', lang)!
      const data = (id: string) => ready.graph.nodes.find((node) => node.id === id)!.data

      const context = await browser.newContext({
        viewport: { width: 1280, height: 1200 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const page: Page = await context.newPage()
      await signInThroughForm(page, owner.email, TEST_PASSWORD)
      const problems = watchProblems(page)

      // Install the ready flow in the member's language.
      await page.goto(serverUrl(`/t/${made.tenant.slug}/flows`))
      const item = page.locator('[data-gallery-flow="coaching_booking"]')
      await item.locator('select[name="language"]').selectOption(lang)
      await item.locator('button[type="submit"]').click()
      await page.locator('[data-canvas]').waitFor()
      const [flow] = await listFlows(made.context)
      // The booking node names no service yet: the checks say so at the node.
      await page
        .locator('.fnode.has-problem[data-node-id="book_session"]')
        .waitFor({ timeout: 10_000 })

      // Pick the service in the node's panel; the draft saves with no problem left.
      await page.locator('.fnode[data-node-id="book_session"] .fnode-head').click()
      await page
        .locator('[data-panel]')
        .getByLabel(C.service, { exact: true })
        .selectOption(service.id)
      await page.locator('[data-save-graph]').click()
      await page.locator('.canvas-ok').waitFor()
      assert.equal(await page.locator('.fnode.has-problem').count(), 0)
      await page.locator('[data-publish-form] button').click()
      await page.locator('[data-version="1"]').waitFor()
      await screenshot(page, `flow-booking-${lang}-flow`)

      // Try it: the customer's side on the sandbox phone.
      // Right away: the phone shows the flow's first message even when it was
      // sent before the phone's live stream opened.
      await page.locator('[data-try]').click()
      await page.waitForURL(/\/sandbox\?/)
      const sandboxUrl = page.url()
      const bubble = (text: string) =>
        page.locator('.bubble--business').filter({ hasText: text }).first()
      const bookButton = data('hello').buttons[0].title as string
      await page.locator('.bubble-choice', { hasText: bookButton }).waitFor({ timeout: 15_000 })
      await page.locator('.bubble-choice', { hasText: bookButton }).click()
      await bubble(data('book_session').text).waitFor({ timeout: 15_000 })
      const list = page.locator('details.bubble-list').last()
      await list.locator('summary').click()
      const rows = list.locator('.bubble-row')
      assert.isAtLeast(await rows.count(), 2, 'free times are offered')
      assert.isAtMost(await rows.count(), 10, 'at most ten rows, as WhatsApp allows')
      // textContent, not innerText: a live refresh of the chat may close the list meanwhile.
      const picked = ((await rows.first().locator('span').textContent()) ?? '').trim()
      await screenshot(page, `flow-booking-${lang}-times`)
      await rows.first().click()
      await bubble(data('booked').text).waitFor({ timeout: 15_000 })
      await screenshot(page, `flow-booking-${lang}-booked`)

      // One booking with the coach, confirmed, in the customer's words on the phone.
      const { bookings } = await listBookings(made.context, { limit: 10 })
      assert.lengthOf(bookings, 1)
      assert.equal(bookings[0].status, 'confirmed')
      assert.equal(bookings[0].memberId, coach.id)
      assert.equal(bookings[0].serviceId, service.id)
      const confirmation =
        lang === 'ar' ? 'تم حجز Coaching session' : 'Your Coaching session is booked'
      await bubble(confirmation).waitFor()
      assert.isTrue(picked.length > 0)

      // The team sees it on the week calendar.
      const week = DateTime.fromJSDate(bookings[0].startsAt).toISODate()
      await page.goto(serverUrl(`/t/${made.tenant.slug}/bookings?week=${week}`))
      await page.locator(`[data-booking="${bookings[0].id}"]`).waitFor()
      await screenshot(page, `flow-booking-${lang}-calendar`)
      assert.deepEqual(problems, [])

      // On a phone (390 px): the flow, the sandbox chat, the calendar and the
      // booking, none scrolling sideways.
      const phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => phone.close())
      const small = await phone.newPage()
      await signInThroughForm(small, owner.email, TEST_PASSWORD)
      const smallProblems = watchProblems(small)
      const pages = [
        ['flow', `/t/${made.tenant.slug}/flows/${flow.id}`, '[data-canvas]'],
        ['sandbox', new URL(sandboxUrl).pathname + new URL(sandboxUrl).search, '.bubble--business'],
        [
          'calendar',
          `/t/${made.tenant.slug}/bookings?week=${week}`,
          `[data-booking="${bookings[0].id}"]`,
        ],
        ['booking', `/t/${made.tenant.slug}/bookings/${bookings[0].id}`, '#booking-heading'],
      ] as const
      for (const [name, path, drawn] of pages) {
        await small.goto(serverUrl(path))
        await small.locator(drawn).first().waitFor()
        const sideways = await small.evaluate('document.documentElement.scrollWidth > innerWidth')
        await screenshot(small, `flow-booking-${lang}-${name}-390`)
        assert.isFalse(sideways, `${name} does not scroll sideways at 390 px`)
      }
      assert.deepEqual(smallProblems, [])
    }).timeout(120_000)
  }
})
