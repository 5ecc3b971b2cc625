import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { listSequences } from '#modules/pulse/index'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
} from '#tests/helpers/browser'
import { campaignTenant, contact } from '#tests/functional/pulse/campaign_fixtures'

/*
| A sequence in Chromium: an admin builds it with the step list editor (a
| message, a condition with a task in its "otherwise" branch, a wait),
| saves it, then dry-runs it on one contact found by name. English and
| Arabic, 390 px and 1280 px, with screenshots; nothing wider than the
| screen, no CSP or console errors.
*/

async function noWiderThanScreen(page: Page) {
  return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')
}

test.group('Journey: build a sequence and dry-run it', (group) => {
  const browser = useBrowser(group)

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`an admin builds a sequence and dry-runs it (${lang}, ${width}px)`, async ({
        assert,
        cleanup,
      }) => {
        const made = await campaignTenant(cleanup, {}, 'seqb')
        const admin = await makeMember(made.tenant.id, 'admin')
        cleanup(async () => {
          await admin.delete()
        })
        await User.query().where('id', admin.id).update({ locale: lang })
        const person = await contact(made.context, {
          name: 'Samira Haddad',
          timeZone: 'Asia/Dubai',
        } as any)

        const context = await browser.newContext({
          viewport: { width, height: width === 390 ? 844 : 900 },
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page: Page = await context.newPage()
        const problems = watchProblems(page)
        await signInThroughForm(page, admin.email, TEST_PASSWORD)
        const base = `/t/${made.tenant.slug}/sequences`

        await page.goto(serverUrl(base))
        await page.locator('[data-new-sequence]').click()
        await page.waitForURL(/\/sequences\/new$/)
        assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')
        await page.locator('#seq-name').fill('Welcome drip')
        await page.locator('#seq-channel').selectOption(made.channel.id)
        await page.locator('#seq-labels').fill('lead')

        // Each editor button posts the whole form and comes back with the step added.
        await page.locator('#seq-new-type').selectOption('send')
        await page.locator('[data-add-end]').click()
        await page
          .locator('[data-step-type="send"] textarea')
          .first()
          .fill('Hello {{contact.name|there}}!')
        await page.locator('[data-step-type="send"] input[name$="[template_name]"]').fill('welcome')
        await page.locator('#seq-new-type').selectOption('condition')
        await page.locator('[data-add-end]').click()
        const condition = page.locator('[data-step-type="condition"]')
        await condition.locator('select[name$="[on]"]').selectOption('label')
        await condition.locator('input[name$="[key]"]').fill('vip')
        await page.locator('#seq-new-type').selectOption('create_task')
        await page.locator('[data-branch$=":else"] button').click()
        await page
          .locator('[data-step-type="create_task"] input[name$="[title]"]')
          .fill('Call {{contact.name|them}}')
        await page.locator('#seq-new-type').selectOption('wait')
        await page.locator('[data-add-end]').click()
        await page.locator('[data-step-type="wait"] input[name$="[amount]"]').fill('2')
        // The typed values survived every round trip.
        assert.equal(await page.locator('#seq-name').inputValue(), 'Welcome drip')
        assert.equal(await condition.locator('input[name$="[key]"]').inputValue(), 'vip')
        await screenshot(page, `sequence-editor-${lang}-${width}`)
        assert.isTrue(await noWiderThanScreen(page), 'the editor fits the screen')

        await page.locator('[data-save]').click()
        await page.waitForURL(/\/sequences\/[0-9a-f-]{36}$/)
        const [saved] = await listSequences(made.context)
        assert.deepEqual(
          saved.steps.map((s) => s.type),
          ['send', 'condition', 'wait']
        )
        assert.equal(saved.steps[1].else![0].title, 'Call {{contact.name|them}}')
        assert.include(
          await page.locator('[data-preview]').innerText(),
          'Hello {{contact.name|there}}!'
        )

        await page.locator('[data-dry-run-link]').click()
        await page.locator('#dry-q').fill('Samira')
        await page.locator('#dry-q').press('Enter')
        await page.locator(`[data-dry-contact="${person.id}"]`).click()
        await page.locator('[data-dry-run]').waitFor()
        const run = await page.locator('[data-dry-run]').innerText()
        assert.include(run, 'Asia/Dubai')
        assert.include(run, 'Call Samira Haddad')
        assert.equal(await page.locator('[data-dry-entry="send_template"]').count(), 1)
        assert.equal(await page.locator('[data-dry-entry="wait"]').count(), 1)
        await screenshot(page, `sequence-dry-run-${lang}-${width}`)
        assert.isTrue(await noWiderThanScreen(page), 'the dry run fits the screen')
        assert.deepEqual(problems, [])
      }).timeout(120_000)
    }
  }
})
