import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import type { Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { listSources } from '#modules/brain/index'
import { makeTenant } from '#tests/helpers/tenants'
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
| The Knowledge section in Chromium: an owner writes an FAQ (adding a row
| with Alpine), lands on its page and watches it go from queued to ready
| without reloading, then searches and asks. English and Arabic, with
| screenshots of each page.
*/

const TEXT = {
  en: {
    title: 'Broker FAQ',
    rows: [
      ['Do you cover locum work?', 'Locum work is covered for up to 60 days a year.'],
      ['When is the office open?', 'The office opens at nine on weekdays.'],
    ],
    search: 'locum work',
    ask: 'Do you cover locum work?',
    ready: 'Ready',
    searchButton: /^search$/i,
    askButton: /^ask$/i,
    addRow: 'Add a question',
    submit: 'Add the FAQ',
  },
  ar: {
    title: 'الأسئلة الشائعة للوسيط',
    rows: [
      ['هل تغطون العمل البديل؟', 'العمل البديل مغطى حتى ستين يومًا في السنة.'],
      ['متى يفتح المكتب؟', 'يفتح المكتب في التاسعة صباحًا أيام الأسبوع.'],
    ],
    search: 'العمل البديل',
    ask: 'هل تغطون العمل البديل؟',
    ready: 'جاهز',
    searchButton: /^بحث$/,
    askButton: /^اسأل$/,
    addRow: 'إضافة سؤال',
    submit: 'إضافة الأسئلة',
  },
} as const

test.group('Journey: the Knowledge section', (group) => {
  const browser = useBrowser(group)

  for (const lang of ['en', 'ar'] as const) {
    test(`an owner adds an FAQ, watches it become ready, then searches and asks (${lang})`, async ({
      assert,
      cleanup,
    }) => {
      const words = TEXT[lang]
      const made = await makeTenant('knowb')
      cleanup(made.cleanup)
      const owner = await makeMember(made.tenant.id, 'owner')
      cleanup(() => owner.delete())
      await User.query().where('id', owner.id).update({ locale: lang })
      const base = `/t/${made.tenant.slug}/knowledge`

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
      await screenshot(page, `knowledge-empty-${lang}`)

      // The FAQ form: five rows without JavaScript; Alpine adds a sixth.
      await page.goto(serverUrl(`${base}/new?kind=faq`))
      await settled(page)
      const rows = page.locator('[data-faq-row]')
      assert.equal(await rows.count(), 5)
      await page.getByRole('button', { name: words.addRow }).click()
      assert.equal(await rows.count(), 6)
      assert.equal(
        await rows.nth(5).locator('[data-faq-field="question"]').getAttribute('name'),
        'faq[5][question]'
      )
      await page.locator('#field-title').fill(words.title)
      for (const [index, [question, answer]] of words.rows.entries()) {
        await page.locator(`#faq-${index}-question`).fill(question)
        await page.locator(`#faq-${index}-answer`).fill(answer)
      }
      await page.locator('#field-tags').fill('faq')
      await screenshot(page, `knowledge-new-faq-${lang}`)
      await page.getByRole('button', { name: words.submit }).click()
      await page.waitForURL(/\/knowledge\/[0-9a-f-]{36}$/)

      // No worker yet: the page shows the source waiting and keeps asking.
      const live = page.locator('#source-live')
      assert.equal(await live.getAttribute('data-status'), 'queued')
      await page.evaluate('window.stillTheSamePage = true')
      await screenshot(page, `knowledge-source-queued-${lang}`)

      const { WorkerPool } = await import('#app/queue/worker_pool')
      const pool = new WorkerPool(app, await app.container.make('logger'))
      pool.start(['default'])
      cleanup(() => pool.stop())

      await page.locator('#source-live[data-status="ready"]').waitFor({ timeout: 20_000 })
      assert.isTrue(
        await page.evaluate('window.stillTheSamePage === true'),
        'the status changed without a reload'
      )
      assert.include(await page.locator('.knowledge-status .badge').innerText(), words.ready)
      assert.isAbove(await page.locator('[data-chunk]').count(), 0)
      assert.isNull(await live.getAttribute('hx-trigger'), 'polling stopped once ready')
      await screenshot(page, `knowledge-source-ready-${lang}`)

      await page.goto(serverUrl(base))
      await settled(page)
      assert.equal(await page.locator('[data-status="ready"][data-source]').count(), 1)
      await screenshot(page, `knowledge-list-${lang}`)

      // Search: passages with their ranks, swapped in by htmx.
      await page.goto(serverUrl(`${base}/search`))
      await settled(page)
      await page.locator('#knowledge-query').fill(words.search)
      await page.getByRole('button', { name: words.searchButton }).click()
      await page.locator('#knowledge-results [data-hit]').first().waitFor()
      assert.include(page.url(), 'mode=search')
      await screenshot(page, `knowledge-search-${lang}`)

      // Ask: an answer with a numbered citation linking to the source.
      await page.locator('#knowledge-query').fill(words.ask)
      await page.getByRole('button', { name: words.askButton }).click()
      await page.locator('#knowledge-results [data-answer]').waitFor()
      const citation = page.locator('[data-citation="1"] a').first()
      assert.equal(await citation.innerText(), words.title)
      await screenshot(page, `knowledge-ask-${lang}`)
      await citation.click()
      await page.waitForURL(/\/knowledge\/[0-9a-f-]{36}$/)

      const [source] = (await listSources(made.context)).data
      assert.equal(source.status, 'ready')
      assert.deepEqual(problems, [])
    }).timeout(90_000)
  }
})
