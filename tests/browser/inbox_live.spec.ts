import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { makeWhatsAppTenant } from '#tests/helpers/whatsapp'
import { useWorkers, withDefaultQueueWorker } from '#tests/helpers/queue'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
  settled,
} from '#tests/helpers/browser'

/*
| The inbox, live, in Chromium: a customer writes from the sandbox phone in
| one tab; in the other the conversation appears in the inbox without a
| reload; the agent opens it and replies; the reply reaches the phone; the
| customer reads it and the tick in the inbox turns to read, again without a
| reload. Everything goes through the real pipeline: webhook_events, the
| inbound and default workers, Redis pub/sub and the SSE stream.
*/

test.group('Journey: the live inbox', (group) => {
  const browser = useBrowser(group)
  useWorkers(group, ['inbound'])
  withDefaultQueueWorker(group)

  for (const lang of ['en', 'ar'] as const) {
    test(`a sandbox message appears live, the agent replies, the tick turns to read (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const made = await makeWhatsAppTenant('livejourney')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang, name: 'Omar Agent' })
      const base = `/t/${made.tenant.slug}`

      const context = await browser.newContext({
        viewport: { width: 1360, height: 900 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const inbox: Page = await context.newPage()
      await signInThroughForm(inbox, owner.email, TEST_PASSWORD)
      const phone: Page = await context.newPage()
      await phone.goto(serverUrl(`${base}/sandbox`))
      await settled(phone)

      await inbox.goto(serverUrl(`${base}/inbox`))
      await settled(inbox)
      const inboxProblems = watchProblems(inbox)
      const phoneProblems = watchProblems(phone)
      // The page is subscribed before the customer writes.
      await inbox.locator('html[data-live="on"]').waitFor({ state: 'attached' })
      assert.equal(await inbox.locator('.inbox-row').count(), 0)

      const question =
        lang === 'ar' ? 'هل ما زال العرض على التأمين متاحًا؟' : 'Is the insurance offer still on?'
      await phone.locator('#sandbox-text').fill(question)
      await phone.locator('#sandbox-text').press('Enter')

      // No reload: the list refreshes itself when the message is handed on.
      const row = inbox.locator('.inbox-row', { hasText: question })
      await row.waitFor({ timeout: 15_000 })
      assert.equal(await row.locator('[data-unread]').getAttribute('data-unread'), '1')
      await screenshot(inbox, `inbox-live-${lang}-arrived`)

      await row.locator('a').first().click()
      await inbox.locator('.thread', { hasText: question }).waitFor()
      const answer = lang === 'ar' ? 'نعم، حتى نهاية الشهر.' : 'Yes, until the end of the month.'
      const reply = inbox.locator('form[data-composer-form="reply"]')
      await reply.locator('textarea[name="text"]').fill(answer)
      await reply.locator('button.composer-send').click()

      // The thread shows the reply with a tick; the phone receives it.
      const sent = inbox.locator('.thread [data-tick]').last()
      await sent.waitFor({ timeout: 15_000 })
      await phone.locator('.bubble--business', { hasText: answer }).waitFor({ timeout: 15_000 })
      assert.notEqual(await sent.getAttribute('data-tick'), 'read')

      // The customer reads it: the inbox tick turns to read, live.
      await phone.locator('.phone-read button').click()
      await inbox.locator('.thread [data-tick="read"]').last().waitFor({ timeout: 15_000 })
      await screenshot(inbox, `inbox-live-${lang}-read`)
      assert.equal(await inbox.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')

      assert.deepEqual(inboxProblems, [])
      assert.deepEqual(phoneProblems, [])
    }).timeout(90_000)
  }
})
