import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { Campaign } from '#modules/pulse/index'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { useFakeGraph } from '#tests/helpers/fake_graph_server'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
  settled,
} from '#tests/helpers/browser'
import { campaignTenant, contact } from '#tests/functional/pulse/campaign_fixtures'

/*
| A campaign in Chromium: an admin builds it (template variables mapped to
| contact fields, the audience counted live), launches it and watches the
| funnel fill in. English and Arabic, 390 px and 1280 px, with screenshots;
| nothing wider than the screen, no CSP or console errors.
*/

const WORDS = {
  en: {
    labels: /^by labels|contacts with conversation labels/i,
    save: /^save campaign$/i,
    launch: /^launch$/i,
  },
  ar: { labels: /جهات اتصال لمحادثاتها وسوم/, save: /^احفظ الحملة$/, launch: /^إطلاق$/ },
} as const

async function noWiderThanScreen(page: Page) {
  return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')
}

test.group('Journey: a campaign from form to funnel', (group) => {
  const browser = useBrowser(group)
  useFakeGraph(group)
  withDefaultQueueWorker(group)

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`an admin builds, launches and watches a campaign (${lang}, ${width}px)`, async ({
        assert,
        cleanup,
      }) => {
        const made = await campaignTenant(cleanup, {}, 'cmpb')
        const admin = await makeMember(made.tenant.id, 'admin')
        cleanup(async () => {
          await admin.delete()
        })
        await User.query().where('id', admin.id).update({ locale: lang })
        for (const name of ['Layla', 'Omar', 'Sara']) {
          await contact(made.context, { name, label: 'jlt', channelId: made.channel.id })
        }
        await contact(made.context, {
          name: 'Nadia',
          label: 'jlt',
          channelId: made.channel.id,
          marketingConsent: 'unknown',
        })

        const context = await browser.newContext({
          viewport: { width, height: width === 390 ? 844 : 900 },
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page: Page = await context.newPage()
        const problems = watchProblems(page)
        await signInThroughForm(page, admin.email, TEST_PASSWORD)
        const base = `/t/${made.tenant.slug}/campaigns`

        await page.goto(serverUrl(`${base}/new`))
        await settled(page)
        assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')
        await page.locator('#campaign-name').fill('JLT tower')
        await page.locator('#campaign-template').selectOption('spring_offer::en')
        await page.locator('#campaign-var-2').waitFor()
        await page.locator('#campaign-var-1').fill('{{contact.name|there}}')
        await page.locator('#campaign-var-2').fill('{{contact.area|JLT}}')
        await page.getByLabel(WORDS[lang].labels).check()
        await page.locator('#campaign-labels').fill('jlt')
        // Any hour: the default quiet hours (21:00–09:00) would hold the sends of an evening run.
        await page.locator('#campaign-quiet-start').fill('')
        await page.locator('#campaign-quiet-end').fill('')
        await page.locator('[data-audience-count="4"]').waitFor()
        await page.locator('[data-template-preview]', { hasText: '{{contact.area|JLT}}' }).waitFor()
        await settled(page)
        assert.isTrue(await noWiderThanScreen(page), 'the form fits the screen')
        await screenshot(page, `campaign-form-${lang}-${width}`)

        await page.getByRole('button', { name: WORDS[lang].save }).click()
        await page.waitForURL((url) => /\/campaigns\/[0-9a-f-]{36}$/.test(url.pathname))
        await settled(page)
        await page.getByRole('button', { name: WORDS[lang].launch }).click()
        await page.waitForURL((url) => /\/campaigns\/[0-9a-f-]{36}$/.test(url.pathname))
        // The funnel fills in as the messages go (htmx polls while it runs).
        await page.locator('[data-step="sent"] [data-count="3"]').waitFor({ timeout: 30_000 })
        await page.locator('[data-skip="no_marketing_consent"]').waitFor()
        assert.isTrue(await noWiderThanScreen(page), 'the funnel fits the screen')
        await screenshot(page, `campaign-funnel-${lang}-${width}`)

        const [campaign] = await made.context.transaction((trx) => Campaign.query({ client: trx }))
        assert.equal(campaign.name, 'JLT tower')
        assert.deepEqual(campaign.audience, { labels: ['jlt'] })
        assert.deepEqual(problems, [])
      }).timeout(90_000)
    }
  }
})
