import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import { addSandboxChannel } from '#modules/channels/index'
import { User } from '#modules/identity/index'
import { systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { importListings } from '#tests/helpers/datasets'
import { customer } from '#tests/helpers/whatsapp'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
  settled,
} from '#tests/helpers/browser'

/*
| The composer's search-and-insert in Chromium: from a conversation, an
| agent opens "Insert from a dataset", searches, inserts a listing and finds
| its card in the reply box. English and Arabic, 1280 and 390 px.
*/

const TEXT = {
  en: { link: 'Insert from a dataset', search: 'Search', insert: 'Insert into the reply' },
  ar: { link: 'إدراج من مجموعة بيانات', search: 'ابحث', insert: 'أدرج في الرد' },
} as const

async function noSidewaysScroll(page: Page) {
  return (await page.evaluate('document.documentElement.scrollWidth <= innerWidth')) as boolean
}

test.group('Journey: insert a dataset row into a reply', (group) => {
  const browser = useBrowser(group)

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`an agent inserts a listing into the reply (${lang}, ${width} px)`, async ({
        assert,
        cleanup,
      }) => {
        const made = await makeTenant('dci')
        cleanup(made.cleanup)
        const agent = await makeMember(made.tenant.id, 'agent')
        cleanup(() => agent.delete())
        await User.query().where('id', agent.id).update({ locale: lang })
        const channel = await addSandboxChannel(made.tenant, systemActor)
        const { conversationId } = await customer(made.context, channel)
        await importListings(made.context, 200)

        const context = await browser.newContext({
          viewport: { width, height: 900 },
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page: Page = await context.newPage()
        await signInThroughForm(page, agent.email, TEST_PASSWORD)
        const problems = watchProblems(page)
        await page.goto(serverUrl(`/t/${made.tenant.slug}/inbox/${conversationId}`))
        await settled(page)
        assert.isTrue(await noSidewaysScroll(page), 'the conversation fits')
        await page.getByRole('link', { name: TEXT[lang].link }).click()
        await page.locator('#insert-q').fill('2br in JLT')
        await page.getByRole('button', { name: TEXT[lang].search, exact: true }).click()
        await page.locator('[data-insert-results] li').first().waitFor()
        await screenshot(page, `composer-insert-${lang}-${width}`)
        assert.isTrue(await noSidewaysScroll(page), 'the search fits')
        await page.getByRole('button', { name: TEXT[lang].insert }).first().click()
        await page.waitForURL(/\/inbox\//)
        const box = page.locator('textarea[name="text"]')
        await box.waitFor()
        assert.include(await box.inputValue(), 'community: JLT')
        await screenshot(page, `composer-inserted-${lang}-${width}`)
        assert.isTrue(await noSidewaysScroll(page), 'the composer fits')
        assert.deepEqual(problems, [])
      }).timeout(60_000)
    }
  }
})
