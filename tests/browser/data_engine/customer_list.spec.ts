import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import app from '@adonisjs/core/services/app'
import { Channel } from '#modules/channels/index'
import { User } from '#modules/identity/index'
import { readAssistantSettings, saveAssistantSettings } from '#modules/brain/index'
import { updateDatasetSettings } from '#modules/data_engine/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { importCsvByWorker, listingsCsv, LISTING_SETTINGS } from '#tests/helpers/datasets'
import { useWorkers, withDefaultQueueWorker } from '#tests/helpers/queue'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
  settled,
} from '#tests/helpers/browser'

/*
| Answering a customer with a list in the sandbox: the owner opens the
| listings to customers on the dataset's page, writes on the sandbox phone
| as a customer, gets the matching listings as a list message, opens it,
| picks one and gets its details. English and Arabic, at 1280 and 390 px.
*/

const TEXT = {
  en: { question: '2br in JLT under 200k', save: 'Save the settings' },
  ar: { question: 'شقة غرفتين في أبراج بحيرات جميرا أقل من 200 ألف', save: 'احفظ الإعدادات' },
} as const

async function noSidewaysScroll(page: Page) {
  return (await page.evaluate('document.documentElement.scrollWidth <= innerWidth')) as boolean
}

test.group('Journey: the assistant answers a customer with a list in the sandbox', (group) => {
  const browser = useBrowser(group)
  useWorkers(group, ['inbound'])
  withDefaultQueueWorker(group)

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`a customer asks, gets listings as a list and picks one (${lang}, ${width} px)`, async ({
        assert,
        cleanup,
      }) => {
        const made = await makeTenant('dsl')
        cleanup(made.cleanup)
        const owner = await makeMember(made.tenant.id, 'owner')
        cleanup(() => owner.delete())
        await User.query().where('id', owner.id).update({ locale: lang, name: 'Sara Haddad' })
        const dataset = await importCsvByWorker(
          made.context,
          'Listings',
          listingsCsv(1000),
          'ref',
          LISTING_SETTINGS
        )
        await updateDatasetSettings(made.context, dataset.id, {
          description: 'Flats and villas for rent in Dubai',
        })

        const context = await browser.newContext({
          viewport: { width, height: 900 },
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page: Page = await context.newPage()
        // When the live stream opens (live-ready), the sandbox chat fetches itself once.
        await page.addInitScript(
          'document.addEventListener("live-ready", () => { window.liveReady = true }, true)'
        )
        const problems = watchProblems(page)
        await signInThroughForm(page, owner.email, TEST_PASSWORD)

        // The owner opens the dataset to customers on its page.
        await page.goto(serverUrl(`/t/${made.tenant.slug}/datasets/${dataset.id}#settings`))
        const open = page.locator('input[name="answers_customers"]')
        await open.check()
        await screenshot(page, `dataset-answers-${lang}-${width}`)
        await page.locator('.dataset-answers').screenshot({
          path: app.makePath(`tmp/screenshots/dataset-answers-${lang}-${width}-field.png`),
        })
        assert.isTrue(await noSidewaysScroll(page), 'the dataset page fits')
        await page.getByRole('button', { name: TEXT[lang].save }).click()
        await settled(page)
        assert.isTrue(await page.locator('input[name="answers_customers"]').isChecked())

        // The sandbox phone (its first visit sets it up), with the assistant on.
        await page.goto(serverUrl(`/t/${made.tenant.slug}/sandbox`))
        await settled(page)
        const channel = await Channel.query()
          .where('tenant_id', made.tenant.id)
          .where('type', 'sandbox')
          .firstOrFail()
        const settings = await readAssistantSettings(made.context, channel.id)
        await saveAssistantSettings(made.context, channel.id, { ...settings, enabled: true }, null)

        const input = page.locator('#sandbox-text')
        await input.fill(TEXT[lang].question)
        await input.press('Enter')
        const list = page.locator('.bubble--business .bubble-list')
        await list.waitFor({ timeout: 30_000 }).catch(async (error) => {
          await screenshot(page, `sandbox-list-${lang}-${width}-missing`)
          throw error
        })
        await list.locator('summary').click()
        const rows = list.locator('.bubble-row')
        assert.isAtLeast(await rows.count(), 1)
        assert.isAtMost(await rows.count(), 10)
        for (const title of await rows.locator('span').allTextContents()) {
          assert.isAtMost([...title].length, 24)
        }
        await screenshot(page, `sandbox-list-${lang}-${width}`)
        assert.isTrue(await noSidewaysScroll(page), 'the phone fits')

        const picked = (await rows.first().locator('span').textContent())!.trim()
        // A live update redraws the chat; the open list stays open. The
        // stream's own first refresh lands first: a notice that came while it
        // replaced the chat would be dropped with the old chat's delayed trigger.
        await page.waitForFunction(
          'window.liveReady === true && !document.querySelector(".htmx-request")'
        )
        const redrawn = page.waitForResponse(
          (r) => r.request().method() === 'GET' && r.url().includes('/sandbox')
        )
        await page.evaluate('htmx.trigger(document.body, "inbox-changed")')
        await redrawn
        await page.waitForTimeout(200)
        assert.isTrue(await rows.first().isVisible(), 'the list is still open after a live update')
        await rows.first().click()
        await page.locator('.bubble--customer', { hasText: picked }).waitFor()
        // The row's details come back: its price and its photo link.
        const details = page.locator('.bubble--business', { hasText: 'price: AED' })
        await details.waitFor({ timeout: 30_000 })
        assert.include((await details.textContent()) ?? '', 'photo: https://cdn.example/listings/')
        await screenshot(page, `sandbox-list-picked-${lang}-${width}`)
        assert.deepEqual(problems, [])
      }).timeout(90_000)
    }
  }
})
