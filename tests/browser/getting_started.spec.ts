import { test } from '@japa/runner'
import type { Page } from 'playwright-core'
import { makeTenant, withoutPlan } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import { useWorkers, withDefaultQueueWorker } from '#tests/helpers/queue'
import {
  screenshot,
  serverUrl,
  signInThroughForm,
  useBrowser,
  watchProblems,
  settled,
} from '#tests/helpers/browser'

/*
| A new workspace's owner, on a phone, follows the dashboard's getting
| started path to the end: the sandbox phone, knowledge, the assistant, a
| web chat channel, an invitation. Each step is taken through its own page
| and comes back checked off, from what the workspace really holds; the
| dashboard is reached through the phone's menu every time.
*/

async function backToDashboard(page: Page) {
  // Every form before this was boosted: its page must have settled, or its
  // swap (and address change) would close the menu just opened.
  // (A function, not a string: the CSP refuses eval.)
  await page.waitForFunction(() => !(globalThis as any).document.querySelector('.htmx-request'))
  await settled(page)
  await page.locator('.menu-toggle').click()
  await page.locator('#site-menu nav').waitFor({ state: 'visible' })
  await page.locator('#site-menu nav a').first().click()
  await page.locator('#getting-started').waitFor()
}

async function doneSteps(page: Page) {
  return page
    .locator('#getting-started li[data-done="true"]')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-step')))
}

test.group('Journey: getting started', (group) => {
  const browser = useBrowser(group)
  // The sandbox's message goes through the WhatsApp intake pipeline.
  useWorkers(group, ['inbound'])
  withDefaultQueueWorker(group)

  test('an owner on a phone takes every step and sees each one checked off', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('brstart')
    cleanup(made.cleanup)
    await withoutPlan(made.tenant)
    const owner = await makeMember(made.tenant.id, 'owner')
    cleanup(() => owner.delete())

    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    cleanup(() => page.close())
    await signInThroughForm(page, owner.email, TEST_PASSWORD)
    const problems = watchProblems(page)
    const base = `/t/${made.tenant.slug}`
    assert.equal(new URL(page.url()).pathname, base)
    assert.deepEqual(await doneSteps(page), [])
    // A first visit: no "welcome back".
    assert.notInclude(await page.locator('.page-head').innerText(), 'Welcome back')
    await screenshot(page, 'getting-started-390-en-start')

    // 1. The sandbox phone: a customer's message arrives through the pipeline.
    await page.locator('[data-step="sandbox"] [data-step-action]').click()
    await page.waitForURL((url) => url.pathname.endsWith('/sandbox'))
    await settled(page)
    await page.locator('#sandbox-text').fill('Hello, do you insure boats?')
    await page.locator('#sandbox-text').press('Enter')
    await page
      .locator('.bubble--customer:not(.bubble--pending)', { hasText: 'boats' })
      .waitFor({ timeout: 15_000 })
    await backToDashboard(page)
    assert.deepEqual(await doneSteps(page), ['sandbox'])

    // 2. Knowledge: a text source.
    await page.locator('[data-step="knowledge"] [data-step-action]').click()
    await page.goto(serverUrl(`${base}/knowledge/new?kind=text`))
    await page.locator('form[data-knowledge-form="text"] [name="title"]').fill('Boat cover')
    await page
      .locator('form[data-knowledge-form="text"] [name="text"]')
      .fill('We insure boats up to 12 metres long.')
    await page.locator('form[data-knowledge-form="text"] button[type="submit"]').click()
    await page.waitForURL((url) => !url.pathname.endsWith('/knowledge/new'))
    await backToDashboard(page)
    assert.deepEqual(await doneSteps(page), ['sandbox', 'knowledge'])

    // 3. The assistant, on the sandbox channel.
    await page.locator('[data-step="assistant"] [data-step-action]').click()
    await page.locator('tr[data-channel] a').first().click()
    await page.locator('input[name="enabled"]').check()
    // The form is boosted: wait for its answer, not for a quiet network.
    await page.locator('form:has(input[name="enabled"]) button[type="submit"]').last().click()
    await page.locator('.flash.success').waitFor()
    await backToDashboard(page)
    assert.deepEqual(await doneSteps(page), ['sandbox', 'knowledge', 'assistant'])

    // 4. A real channel: web chat.
    await page.locator('[data-step="connect"] [data-step-action]').click()
    await page.locator('form[action$="/channels/webchat"] button[type="submit"]').click()
    await page.waitForURL((url) => /\/channels\/[0-9a-f-]{36}/.test(url.pathname))
    await backToDashboard(page)
    assert.deepEqual(await doneSteps(page), ['sandbox', 'knowledge', 'assistant', 'connect'])

    // 5. The team: an invitation.
    await page.locator('[data-step="team"] [data-step-action]').click()
    const mate = `mate-${owner.id.slice(0, 8)}@example.test`
    await page.locator('form[action$="/team/invitations"] [name="email"]').fill(mate)
    await page.locator('form[action$="/team/invitations"] button[type="submit"]').click()
    await page.locator('td', { hasText: mate }).first().waitFor()
    await backToDashboard(page)
    assert.deepEqual(await doneSteps(page), [
      'sandbox',
      'knowledge',
      'assistant',
      'connect',
      'team',
    ])
    assert.include(await page.locator('#getting-started').innerText(), '5 of 5 steps done.')
    const scrollsSideways = await page.evaluate('document.documentElement.scrollWidth > innerWidth')
    assert.isFalse(scrollsSideways)
    await screenshot(page, 'getting-started-390-en-done')
    assert.deepEqual(problems, [], problems.join('\n'))
  }).timeout(90_000)

  test('the sandbox shows why a customer number is refused instead of dropping the answer', async ({
    assert,
    cleanup,
  }) => {
    const made = await makeTenant('brsbx')
    cleanup(made.cleanup)
    const owner = await makeMember(made.tenant.id, 'owner')
    cleanup(() => owner.delete())
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } })
    cleanup(() => page.close())
    await signInThroughForm(page, owner.email, TEST_PASSWORD)
    await page.goto(serverUrl(`/t/${made.tenant.slug}/sandbox`))
    await settled(page)

    await page.locator('#sandbox-phone-number').fill('not a number')
    await page.locator('.sandbox-customer-form button[type="submit"]').click()
    await page.locator('#sandbox-phone-error').waitFor({ timeout: 5_000 })
    assert.equal(await page.locator('#sandbox-phone-number').getAttribute('aria-invalid'), 'true')
  })
})
