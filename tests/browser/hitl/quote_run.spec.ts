import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import app from '@adonisjs/core/services/app'
import { User } from '#modules/identity/index'
import { addSandboxChannel } from '#modules/channels/index'
import { systemActor } from '#modules/tenancy/index'
import { makeTenant } from '#tests/helpers/tenants'
import { customerSays } from '#tests/helpers/brain'
import { quoteFixtures } from '#tests/helpers/quote_fixtures'
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
| The quote analyzer's job in Chromium: an owner uploads two quote PDFs for
| a contact, lands on the run's page (waiting: no worker yet), a worker
| starts, and the page moves on to the comparison task by itself, where
| each figure links to its page in the PDF and each PDF's first page is
| shown as an image. English and Arabic, 390 and 1280 px, with
| screenshots; the WhatsApp setting is on the upload page.
*/

const fixtures = quoteFixtures()

async function noWiderThanScreen(page: Page) {
  return page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')
}

test.group('Journey: quotes read by a job', (group) => {
  const browser = useBrowser(group)

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`an owner uploads quotes, watches the run, and lands on the comparison (${lang}, ${width}px)`, async ({
        assert,
        cleanup,
      }) => {
        const made = await makeTenant('qrun')
        cleanup(made.cleanup)
        const channel = await addSandboxChannel(made.tenant, systemActor)
        const asked = await customerSays(made.context, channel.id, 'my quotes')
        const owner = await makeMember(made.tenant.id, 'owner')
        cleanup(() => owner.delete())
        await User.query().where('id', owner.id).update({ locale: lang })
        const base = `/t/${made.tenant.slug}/tasks`

        const context = await browser.newContext({
          viewport: { width, height: width === 390 ? 844 : 900 },
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page: Page = await context.newPage()
        const problems = watchProblems(page)
        await signInThroughForm(page, owner.email, TEST_PASSWORD)

        await page.goto(serverUrl(`${base}/quotes/new?contact_id=${asked.contactId}`))
        await settled(page)
        assert.equal(await page.locator('form[data-quotes-settings]').count(), 1)
        assert.isTrue(await noWiderThanScreen(page), 'the upload page fits the screen')
        await screenshot(page, `quotes-new-${lang}-${width}`)
        await page.locator('input[type="file"][name="files"]').setInputFiles(
          fixtures.slice(0, 2).map((f) => ({
            name: f.filename,
            mimeType: 'application/pdf',
            buffer: f.pdf,
          }))
        )
        await page.locator('form[data-quotes-form] button[type="submit"]').click()
        await page.waitForURL((url) => url.pathname.startsWith(`${base}/quotes/runs/`))
        await page.locator('#quote-run[data-run-status="queued"]').waitFor()
        assert.isTrue(await noWiderThanScreen(page), 'the run page fits the screen')
        await screenshot(page, `quote-run-${lang}-${width}`)

        // A worker takes the job: the page moves on to the task by itself.
        const workers = await app.container.make('queue.workers')
        workers.start(['default'])
        cleanup(async () => {
          await workers.stop()
          workers.start(['mail'])
        })
        await page.waitForURL((url) => /\/tasks\/[0-9a-f-]{36}$/.test(url.pathname), {
          timeout: 20_000,
        })
        await settled(page)
        const link = page.locator('.task-table a[href*="#page=1"]').first()
        assert.equal(await link.count(), 1)
        // Each PDF's first page is shown as an image, drawn and served.
        const pages = page.locator('.task-pages img')
        assert.equal(await pages.count(), 2)
        for (const img of await pages.all()) {
          await img.scrollIntoViewIfNeeded()
          await img.evaluate((el: any) => el.decode().catch(() => undefined))
        }
        const drawn = await pages.evaluateAll((imgs: any[]) =>
          imgs.map((img) => img.complete && img.naturalWidth)
        )
        assert.deepEqual(drawn, [900, 900])
        assert.isTrue(await noWiderThanScreen(page), 'the task fits the screen')
        await screenshot(page, `quote-task-${lang}-${width}`)
        assert.deepEqual(problems, [])
      }).timeout(90_000)
    }
  }
})
