import { test } from '@japa/runner'
import { writeFileSync, mkdirSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import type { Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { listingsCsv, LISTING_SETTINGS } from '#tests/helpers/datasets'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
  settled,
} from '#tests/helpers/browser'

/*
| The Datasets section in Chromium: an owner uploads a listings CSV,
| corrects a column and adds synonyms, watches the import finish without
| reloading, searches in plain words and removes a filter chip. English and
| Arabic, at 1280 px and 390 px (no sideways scrolling), with screenshots.
*/

const TEXT = {
  en: {
    query: '2br sea view JLT under 150k',
    submitUpload: 'Read the columns',
    submitColumns: 'Import the rows',
    search: 'Search',
    chips: ['features ∋ sea view', 'JLT', 'bedrooms: 2', 'price ≤ AED 150,000'],
  },
  ar: {
    query: 'شقة غرفتين في JLT أقل من 150 ألف',
    submitUpload: 'اقرأ الأعمدة',
    submitColumns: 'استورد الصفوف',
    search: 'ابحث',
    chips: ['JLT', 'Apartment', 'bedrooms: 2', 'price ≤ AED 150,000'],
  },
} as const

async function noSidewaysScroll(page: Page) {
  return (await page.evaluate('document.documentElement.scrollWidth <= innerWidth')) as boolean
}

test.group('Journey: datasets', (group) => {
  const browser = useBrowser(group)

  for (const lang of ['en', 'ar'] as const) {
    test(`an owner imports a listings CSV and searches it with chips (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const words = TEXT[lang]
      const made = await makeTenant('dsb')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang })
      const base = `/t/${made.tenant.slug}/datasets`
      const dir = app.makePath('tmp/browser-files')
      mkdirSync(dir, { recursive: true })
      const file = `${dir}/listings-${lang}.csv`
      writeFileSync(
        file,
        listingsCsv(3000) + '\nL-bad,Broken,JLT,two,AED 1,Villa,yes,2026-01-01,,\n'
      )

      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const page: Page = await context.newPage()
      const problems = watchProblems(page)
      await signInThroughForm(page, owner.email, TEST_PASSWORD)

      await page.goto(serverUrl(base))
      await settled(page)
      assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')
      await screenshot(page, `datasets-empty-${lang}`)

      await page.goto(serverUrl(`${base}/new`))
      await page.locator('#field-name').fill(lang === 'ar' ? 'العقارات' : 'Listings')
      await page.locator('#field-file').setInputFiles(file)
      await screenshot(page, `datasets-new-${lang}`)
      await page.getByRole('button', { name: words.submitUpload }).click()
      await page.waitForURL(/\/datasets\/[0-9a-f-]{36}$/)
      await page.locator('[data-columns-form]').waitFor()
      assert.equal(await page.locator('#col-3-type').inputValue(), 'integer')
      for (const setting of LISTING_SETTINGS) {
        const index = [
          'ref',
          'title',
          'community',
          'bedrooms',
          'price',
          'type',
          'available',
          'listed_on',
          'features',
          'photo',
        ].indexOf(setting.name)
        await page.locator(`#col-${index}-synonyms`).fill(setting.synonyms)
      }
      await page.locator('input[name="key_column"][value="ref"]').check()
      await page.locator('input[name="col[9][shown]"]').uncheck()
      await screenshot(page, `datasets-columns-${lang}`)
      await page.screenshot({
        path: app.makePath(`tmp/screenshots/datasets-columns-top-${lang}.png`),
      })

      const { WorkerPool } = await import('#app/queue/worker_pool')
      const pool = new WorkerPool(app, await app.container.make('logger'))
      pool.start(['default'])
      cleanup(() => pool.stop())

      await page.getByRole('button', { name: words.submitColumns }).click()
      await page.locator('[data-import-summary]').waitFor({ timeout: 60_000 })
      assert.equal(await page.locator('[data-import-errors] li').count(), 1)
      assert.isTrue(await noSidewaysScroll(page), 'no sideways scroll at 1280 px')
      await screenshot(page, `datasets-imported-${lang}`)

      await page.locator('#dataset-q').fill(words.query)
      await page.getByRole('button', { name: words.search, exact: true }).click()
      await page.locator('[data-chips]').waitFor()
      const chips = await page.locator('[data-chip] span').allInnerTexts()
      assert.deepEqual(chips, [...words.chips])
      assert.isAbove(await page.locator('[data-result]').count(), 0)
      await screenshot(page, `datasets-search-${lang}`)

      await page.locator('[data-remove-chip]').first().click()
      await page.waitForURL(/without=0/)
      await settled(page)
      assert.equal(await page.locator('[data-chip]').count(), words.chips.length - 1)
      await screenshot(page, `datasets-search-chip-removed-${lang}`)

      await page.setViewportSize({ width: 390, height: 844 })
      await page.reload()
      await settled(page)
      assert.isTrue(await noSidewaysScroll(page), 'no sideways scroll at 390 px')
      await screenshot(page, `datasets-search-390-${lang}`)
      await page.screenshot({
        path: app.makePath(`tmp/screenshots/datasets-search-390-top-${lang}.png`),
      })
      await page.goto(serverUrl(`${base}`))
      assert.isTrue(await noSidewaysScroll(page), 'list at 390 px')
      await page.goto(page.url().replace(/\/datasets$/, '/datasets/new'))
      assert.isTrue(await noSidewaysScroll(page), 'upload at 390 px')
      assert.deepEqual(problems, [])
    })
  }
})
