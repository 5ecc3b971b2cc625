import { test } from '@japa/runner'
import { randomBytes } from 'node:crypto'
import { Plan, recordMonthlyUsage } from '#modules/billing/index'
import { Tenant } from '#modules/tenancy/index'
import { makeWorkspace } from '#tests/helpers/tenants'
import { TEST_PASSWORD } from '#tests/helpers/users'
import {
  screenshot,
  serverUrl,
  signInThroughForm,
  useBrowser,
  watchProblems,
} from '#tests/helpers/browser'
import { makeSuperAdmin } from '#tests/functional/admin/console_helpers'

/*
| The owner's usage panel on the dashboard and the console's plans list, in
| English and Arabic, on a phone (390 px) and a desktop (1280 px): shown,
| no sideways scrolling, nothing broken. Screenshots go to tmp/screenshots.
*/
const SIZES = [390, 1280]
const LOCALES = ['en', 'ar'] as const

async function noSidewaysScroll(page: import('playwright-core').Page) {
  const wide = await page.evaluate(`(() => {
    const limit = document.documentElement.clientWidth + 1
    if (document.documentElement.scrollWidth <= limit) return []
    return [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > limit)
      .slice(0, 5)
      .map((el) => el.tagName + '.' + el.className + '#' + el.id)
  })()`)
  return (wide as string[]).join(', ') || true
}

test.group('Journey: plan usage and plans', (group) => {
  const browser = useBrowser(group)

  test('the dashboard usage panel reads well at 390 and 1280 px, in English and Arabic', async ({
    assert,
    cleanup,
  }) => {
    const w = await makeWorkspace(cleanup, 'brusage')
    const owner = await w.member('owner')
    await w.member('agent')
    const plan = await Plan.create({
      slug: `usage-${randomBytes(3).toString('hex')}`,
      name: 'Starter',
      maxSeats: 3,
      maxChannels: 1,
      maxConversationsPerMonth: 500,
      maxAiAnswersPerMonth: 5,
      maxKnowledgeMb: 50,
      isDefault: false,
    })
    await Tenant.query().where('id', w.tenant.id).update({ planId: plan.id })
    cleanup(async () => {
      await Tenant.query().where('plan_id', plan.id).update({ planId: null })
      await plan.delete()
    })
    for (let i = 0; i < 5; i++) await recordMonthlyUsage(w.tenant.id, 'ai_answers', `b:${i}`)

    for (const locale of LOCALES) {
      owner.locale = locale
      await owner.save()
      for (const width of SIZES) {
        const page = await browser.newPage({ viewport: { width, height: 900 } })
        cleanup(() => page.close())
        const problems = watchProblems(page)
        await signInThroughForm(page, owner.email, TEST_PASSWORD)
        await page.goto(serverUrl(w.base))
        const panel = page.locator('#plan-usage')
        assert.isTrue(await panel.isVisible())
        assert.equal(await panel.locator('progress').count(), 5)
        assert.equal(
          await panel.locator('[data-limit="ai_answers"] .badge').textContent(),
          locale === 'ar' ? 'بلغت الحد' : 'Limit reached'
        )
        await screenshot(page, `plan-usage-${locale}-${width}`)
        assert.equal(await noSidewaysScroll(page), true, `${locale} ${width}px scrolls sideways`)
        assert.deepEqual(problems, [])
      }
    }
  })

  test('the console plans list shows every limit at 390 and 1280 px, in English and Arabic', async ({
    assert,
    cleanup,
  }) => {
    const plan = await Plan.create({
      slug: `list-${randomBytes(3).toString('hex')}`,
      name: 'Growth',
      priceLabel: '$49 / month',
      maxSeats: 10,
      maxChannels: 3,
      maxKnowledgeMb: 500,
      apiRequestsPerMinute: 1200,
      isDefault: false,
    })
    cleanup(async () => {
      await plan.delete()
    })
    for (const locale of LOCALES) {
      const admin = await makeSuperAdmin(cleanup, { locale })
      for (const width of SIZES) {
        const page = await browser.newPage({ viewport: { width, height: 900 } })
        cleanup(() => page.close())
        const problems = watchProblems(page)
        await signInThroughForm(page, admin.email, TEST_PASSWORD)
        await page.goto(serverUrl('/admin/plans'))
        const headings = await page.locator('table thead th').allTextContents()
        const expected =
          locale === 'ar'
            ? ['المقاعد', 'القنوات', 'طلبات API / دقيقة']
            : ['Seats', 'Channels', 'API requests / minute']
        for (const heading of expected) assert.include(headings, heading)
        await screenshot(page, `plans-${locale}-${width}`)
        assert.equal(await noSidewaysScroll(page), true, `${locale} ${width}px scrolls sideways`)
        assert.deepEqual(problems, [])
      }
    }
  })
})
