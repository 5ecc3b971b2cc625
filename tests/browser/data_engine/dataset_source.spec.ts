import { test } from '@japa/runner'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'
import type { Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { findDataset, listDatasets } from '#modules/data_engine/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { listingsCsv } from '#tests/helpers/datasets'
import { withDefaultQueueWorker } from '#tests/helpers/queue'
import { waitFor } from '#tests/helpers/whatsapp'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
} from '#tests/helpers/browser'

/*
| A dataset from a CSV address in Chromium: the owner gives the address and
| how often to read it, confirms the columns, and the dataset's page shows
| its source (address, period, last read). English and Arabic, 1280 and 390 px.
*/

const TEXT = {
  en: { submitUpload: 'Read the columns', submitColumns: 'Import the rows', source: 'Source' },
  ar: { submitUpload: 'اقرأ الأعمدة', submitColumns: 'استورد الصفوف', source: 'المصدر' },
} as const

async function noSidewaysScroll(page: Page) {
  return (await page.evaluate('document.documentElement.scrollWidth <= innerWidth')) as boolean
}

test.group('Journey: a dataset read from a CSV address', (group) => {
  const browser = useBrowser(group)
  withDefaultQueueWorker(group)
  let server: Server
  let address = ''
  group.setup(async () => {
    const csv = listingsCsv(50)
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/csv' })
      response.end(csv)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    address = `http://127.0.0.1:${(server.address() as AddressInfo).port}/listings.csv`
    const previous = app.config.get<boolean>('brain.allowPrivateUrlSources')
    app.config.set('brain.allowPrivateUrlSources', true)
    return async () => {
      app.config.set('brain.allowPrivateUrlSources', previous)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`an owner adds listings from an address and sees its source (${lang}, ${width} px)`, async ({
        assert,
        cleanup,
      }) => {
        const made = await makeTenant('dsu')
        cleanup(made.cleanup)
        const owner = await makeMember(made.tenant.id, 'owner')
        cleanup(() => owner.delete())
        await User.query().where('id', owner.id).update({ locale: lang })
        const context = await browser.newContext({
          viewport: { width, height: 900 },
          locale: lang === 'ar' ? 'ar' : 'en-US',
        })
        cleanup(() => context.close())
        const page: Page = await context.newPage()
        await signInThroughForm(page, owner.email, TEST_PASSWORD)
        const problems = watchProblems(page)

        await page.goto(serverUrl(`/t/${made.tenant.slug}/datasets/new`))
        await page.locator('#field-name').fill(lang === 'ar' ? 'العقارات' : 'Listings')
        await page.locator('#field-url').fill(address)
        await page.locator('#field-refresh').selectOption('360')
        await screenshot(page, `dataset-url-new-${lang}-${width}`)
        assert.isTrue(await noSidewaysScroll(page), 'the form fits')
        await page.getByRole('button', { name: TEXT[lang].submitUpload }).click()
        await page.getByRole('button', { name: TEXT[lang].submitColumns }).click()

        const { data } = await listDatasets(made.context)
        const id = data[0].id
        await waitFor(async () => (await findDataset(made.context, id))?.status === 'ready')
        await page.goto(serverUrl(`/t/${made.tenant.slug}/datasets/${id}#source`))
        const source = page.locator('#source')
        // Once imported, the source can be read again by hand.
        await waitFor(async () => {
          if (await source.getByRole('button').isVisible()) return true
          await page.reload()
          return false
        })
        await source.getByRole('heading', { name: TEXT[lang].source }).waitFor()
        assert.include((await source.textContent()) ?? '', address)
        await screenshot(page, `dataset-url-page-${lang}-${width}`)
        await source.screenshot({
          path: app.makePath(`tmp/screenshots/dataset-url-source-${lang}-${width}.png`),
        })
        assert.isTrue(await noSidewaysScroll(page), 'the dataset page fits')
        assert.equal((await findDataset(made.context, id))!.source?.refreshMinutes, 360)
        assert.deepEqual(problems, [])
      }).timeout(60_000)
    }
  }
})
