import { test } from '@japa/runner'
import { writeFileSync, mkdirSync } from 'node:fs'
import app from '@adonisjs/core/services/app'
import type { Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { csvOf } from '#tests/helpers/contact_imports'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
} from '#tests/helpers/browser'

/*
| Importing contacts in Chromium: an owner goes from the contacts list to
| the import, uploads a CSV (Arabic headers in the Arabic journey), checks
| the guessed mapping, tags the import, watches the progress without
| reloading, downloads nothing but sees the refused rows counted, and opens
| the imported contacts. English and Arabic, 1280 px and 390 px (no
| sideways scrolling), with screenshots.
*/

const ROWS = 20_000

const TEXT = {
  en: {
    headers: ['Full name', 'Mobile', 'Email', 'Consent', 'Notes'],
    importButton: 'Import CSV',
    upload: 'Upload and map columns',
    start: 'Start import',
    label: 'Expo 2026',
    name: 'Customer',
  },
  ar: {
    headers: ['الاسم', 'رقم الجوال', 'البريد الإلكتروني', 'موافقة تسويقية', 'ملاحظات'],
    importButton: 'استيراد CSV',
    upload: 'ارفع وطابِق الأعمدة',
    start: 'ابدأ الاستيراد',
    label: 'معرض 2026',
    name: 'عميل',
  },
} as const

function peopleCsv(lang: 'en' | 'ar') {
  const words = TEXT[lang]
  const rows: string[][] = [[...words.headers]]
  for (let i = 0; i < ROWS; i++) {
    rows.push([
      `${words.name} ${i}`,
      i === 5 ? 'not a number' : `050${String(i).padStart(7, '0')}`,
      `c${i}@example.com`,
      i % 2 ? 'yes' : 'no',
      '',
    ])
  }
  return csvOf(rows)
}

async function noSidewaysScroll(page: Page) {
  return (await page.evaluate('document.documentElement.scrollWidth <= innerWidth')) as boolean
}

test.group('Journey: contact import', (group) => {
  const browser = useBrowser(group)

  for (const lang of ['en', 'ar'] as const) {
    test(`an owner imports a CSV, watches it load and sees the contacts (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const words = TEXT[lang]
      const made = await makeTenant('cimpb')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang })
      const base = `/t/${made.tenant.slug}`
      const dir = app.makePath('tmp/browser-files')
      mkdirSync(dir, { recursive: true })
      const file = `${dir}/contacts-${lang}.csv`
      writeFileSync(file, peopleCsv(lang))

      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        locale: lang === 'ar' ? 'ar' : 'en-US',
      })
      cleanup(() => context.close())
      const page: Page = await context.newPage()
      const problems = watchProblems(page)
      await signInThroughForm(page, owner.email, TEST_PASSWORD)

      await page.goto(serverUrl(`${base}/contacts`))
      assert.equal(await page.locator('html').getAttribute('dir'), lang === 'ar' ? 'rtl' : 'ltr')
      await page.getByRole('link', { name: words.importButton }).click()
      await page.waitForURL(/\/contacts\/import$/)
      await page.locator('#field-file').setInputFiles(file)
      await screenshot(page, `contact-import-upload-${lang}`)
      await page.getByRole('button', { name: words.upload }).click()
      await page.waitForURL(/\/contacts\/imports\/[0-9a-f-]{36}$/)
      await page.locator('[data-import-mapping]').waitFor()
      assert.deepEqual(
        await Promise.all([0, 1, 2, 3, 4].map((i) => page.locator(`#column-${i}`).inputValue())),
        ['name', 'phone', 'email', 'marketing_consent', 'notes']
      )
      await page.locator('#field-default_country').selectOption('AE')
      await page.locator('#field-label').fill(words.label)
      assert.isTrue(await noSidewaysScroll(page), 'mapping at 1280 px')
      await screenshot(page, `contact-import-mapping-${lang}`)

      const { WorkerPool } = await import('#app/queue/worker_pool')
      const pool = new WorkerPool(app, await app.container.make('logger'))
      pool.start(['default'])
      cleanup(() => pool.stop())

      const importUrl = page.url()
      await page.getByRole('button', { name: words.start }).click()
      await page.locator('#import-progress').waitFor()
      const seen = await page.locator('#import-progress').getAttribute('data-import-status')
      if (seen !== 'done') await screenshot(page, `contact-import-running-${lang}`)
      // htmx polls the region; the page itself is never reloaded.
      await page.locator('#import-progress[data-import-status="done"]').waitFor({ timeout: 90_000 })
      assert.equal(page.url(), importUrl)
      assert.equal(await page.locator('[data-count="created"]').innerText(), String(ROWS - 1))
      assert.equal(await page.locator('[data-count="errors"]').innerText(), '1')
      assert.equal(await page.locator('[data-error-report]').count(), 1)
      assert.isTrue(await noSidewaysScroll(page), 'progress at 1280 px')
      await screenshot(page, `contact-import-done-${lang}`)

      await page.locator('[data-imported-contacts]').click()
      await page.waitForURL(/\/contacts\?tag=/)
      assert.isAbove(await page.locator('[data-contact]').count(), 0)
      assert.include(await page.locator('#contact-results').innerText(), words.name)
      await screenshot(page, `contact-import-contacts-${lang}`)

      await page.setViewportSize({ width: 390, height: 844 })
      await page.goto(importUrl)
      assert.isTrue(await noSidewaysScroll(page), 'progress at 390 px')
      await screenshot(page, `contact-import-done-390-${lang}`)
      await page.goto(serverUrl(`${base}/contacts/import`))
      assert.isTrue(await noSidewaysScroll(page), 'upload and recent imports at 390 px')
      await screenshot(page, `contact-import-upload-390-${lang}`)
      await page.locator('#field-file').setInputFiles(file)
      await page.getByRole('button', { name: words.upload }).click()
      await page.locator('[data-import-mapping]').waitFor()
      assert.isTrue(await noSidewaysScroll(page), 'mapping at 390 px')
      await screenshot(page, `contact-import-mapping-390-${lang}`)
      await page.goto(serverUrl(`${base}/contacts`))
      assert.isTrue(await noSidewaysScroll(page), 'contacts at 390 px')
      await screenshot(page, `contact-import-contacts-390-${lang}`)
      assert.deepEqual(problems, [])
    }).timeout(180_000)
  }
})
