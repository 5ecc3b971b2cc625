import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import { readAssistantSettings, saveAssistantSettings } from '#modules/brain/index'
import { addSandboxChannel } from '#modules/channels/index'
import { User } from '#modules/identity/index'
import { systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { useWorkers, withDefaultQueueWorker } from '#tests/helpers/queue'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import {
  screenshot,
  serverUrl,
  signInThroughForm,
  useBrowser,
  watchProblems,
  settled,
} from '#tests/helpers/browser'

/*
| A live handoff, in Chromium: an agent has a conversation open; the
| customer (on the sandbox phone, in another tab) asks for a person; the
| assistant hands off. Without a reload the thread's head turns to "Needs a
| person" with "Hand back to the assistant", and the navigation counts one
| waiting. The agent replies and, again live, the conversation is theirs.
*/

test.group('Journey: a live handoff', (group) => {
  const browser = useBrowser(group)
  useWorkers(group, ['inbound'])
  withDefaultQueueWorker(group)

  for (const lang of ['en', 'ar'] as const) {
    test(`the thread shows the handoff and the hand-back button without a reload (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const made = await makeTenant('brhand')
      cleanup(made.cleanup)
      const channel = await addSandboxChannel(made.tenant, systemActor)
      const agent = await makeMember(made.tenant.id, 'agent')
      cleanup(() => agent.delete())
      await User.query().where('id', agent.id).update({ locale: lang, name: 'Omar Agent' })
      const base = `/t/${made.tenant.slug}`

      const context = await browser.newContext({
        viewport: { width: 1280, height: 800 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const inbox: Page = await context.newPage()
      await signInThroughForm(inbox, agent.email, TEST_PASSWORD)
      const phone: Page = await context.newPage()
      await phone.goto(serverUrl(`${base}/sandbox`))
      await settled(phone)
      const say = async (text: string) => {
        await phone.locator('#sandbox-text').fill(text)
        await phone.locator('#sandbox-text').press('Enter')
        await phone
          .locator('.bubble--customer:not(.bubble--pending)', { hasText: text })
          .waitFor({ timeout: 15_000 })
      }

      // The customer writes while the assistant is off: nobody has it yet.
      await say(lang === 'ar' ? 'مرحبًا' : 'Hello there')
      await inbox.goto(serverUrl(`${base}/inbox`))
      await inbox.locator('.inbox-row a').first().click()
      await inbox.locator('[data-owner="unassigned"]').first().waitFor()
      await inbox.locator('html[data-live="on"]').waitFor({ state: 'attached' })
      const problems = watchProblems(inbox)
      assert.equal(await inbox.locator('[data-hand-back]').count(), 0)
      assert.equal(await inbox.locator('[data-assistant-off]').count(), 1)

      // The owner turns the assistant on; the customer asks for a person.
      const settings = await readAssistantSettings(made.context, channel.id)
      await saveAssistantSettings(made.context, channel.id, { ...settings, enabled: true }, null)
      await say(lang === 'ar' ? 'أريد التحدث إلى موظف' : 'I want to talk to a person')

      const head = inbox.locator('#inbox-conversation-status')
      await head.locator('[data-owner="needs_person"]').waitFor({ timeout: 20_000 })
      await head.locator('[data-hand-back]').waitFor()
      // The notice that the assistant was off went with the same refresh.
      assert.equal(await inbox.locator('[data-assistant-off]').count(), 0)
      await inbox
        .locator('li:has(a[href$="/inbox?view=needs_person"]) .nav-count', { hasText: /1|١/ })
        .waitFor({ timeout: 10_000 })
      await screenshot(inbox, `inbox-handoff-${lang}-needs-person`)

      // The agent replies: the conversation becomes theirs, live.
      const reply = inbox.locator('form[data-composer-form="reply"]')
      await reply
        .locator('textarea[name="text"]')
        .fill(lang === 'ar' ? 'أنا هنا للمساعدة.' : 'I am here to help.')
      await reply.locator('button.composer-send').click()
      await head
        .locator('[data-owner="person"]', { hasText: 'Omar Agent' })
        .waitFor({ timeout: 15_000 })
      await inbox
        .locator('li:has(a[href$="/inbox?view=needs_person"]) .nav-count:empty')
        .waitFor({ state: 'attached', timeout: 10_000 })
      await screenshot(inbox, `inbox-handoff-${lang}-taken`)
      assert.equal(await inbox.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')
      assert.deepEqual(problems, [], problems.join('\n'))
    }).timeout(90_000)
  }
})
