import { test } from '@japa/runner'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import app from '@adonisjs/core/services/app'
import type { Page } from 'playwright-core'
import { User } from '#modules/identity/index'
import { listConnectors } from '#modules/data_engine/index'
import { makeTenant } from '#tests/helpers/tenants'
import { makeMember, TEST_PASSWORD } from '#tests/helpers/users'
import {
  useBrowser,
  screenshot,
  serverUrl,
  signInThroughForm,
  watchProblems,
} from '#tests/helpers/browser'

/*
| An API connector in Chromium: the owner describes a shop's order API
| (address with a parameter, a bearer token, the parameter, a field read by
| JSON path, the reply), saves it, and tries it with a sample order number:
| the request (token masked) and the mapped answer show. English and
| Arabic, 1280 and 390 px, nothing scrolling sideways.
*/

const TEXT = {
  en: { save: 'Save the connector', call: 'Call the API', reply: 'Reply' },
  ar: { save: 'حفظ الموصل', call: 'استدعاء الواجهة', reply: 'الرد' },
} as const

async function noSidewaysScroll(page: Page) {
  return (await page.evaluate('document.documentElement.scrollWidth <= innerWidth')) as boolean
}

test.group('Journey: an API connector made and tried', (group) => {
  const browser = useBrowser(group)
  let server: Server
  let base = ''
  group.setup(async () => {
    server = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({
          order: { id: request.url!.split('/').pop(), status: 'Out for delivery' },
          auth: request.headers.authorization === 'Bearer tok-browser' ? 'ok' : 'refused',
        })
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const previous = app.config.get<boolean>('brain.allowPrivateUrlSources')
    app.config.set('brain.allowPrivateUrlSources', true)
    return async () => {
      app.config.set('brain.allowPrivateUrlSources', previous)
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  for (const lang of ['en', 'ar'] as const) {
    for (const width of [1280, 390]) {
      test(`an owner adds an order connector and tries it (${lang}, ${width} px)`, async ({
        assert,
        cleanup,
      }) => {
        const made = await makeTenant('cnb')
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

        await page.goto(serverUrl(`/t/${made.tenant.slug}/connectors/new`))
        await page.locator('#field-name').fill(lang === 'ar' ? 'حالة الطلب' : 'Order status')
        await page.locator('#field-triggers').fill(lang === 'ar' ? 'طلب, طلبي' : 'order, my order')
        await page.locator('#field-url_template').fill(`${base}/orders/{{order}}`)
        await page.locator('#field-auth_mode').selectOption('bearer')
        await page.locator('#field-auth_secret').fill('tok-browser')
        await page.locator('#field-p0_name').fill('order')
        await page.locator('#field-p0_type').selectOption('integer')
        await page.locator('#field-p0_example').fill('4471')
        await page.locator('#field-m0_name').fill('status')
        await page.locator('#field-m0_path').fill('$.order.status')
        await page.locator('#field-m1_name').fill('auth')
        await page.locator('#field-m1_path').fill('$.auth')
        await page
          .locator('#field-reply_template')
          .fill(lang === 'ar' ? 'الطلب {{order}}: {{status}}' : 'Order {{order}} is {{status}}.')
        assert.isTrue(await noSidewaysScroll(page), 'the form fits')
        await screenshot(page, `connector-new-${lang}-${width}`)
        await page.getByRole('button', { name: TEXT[lang].save }).click()
        await page.waitForURL(/\/connectors\/[0-9a-f-]{36}$/)
        const [connector] = await listConnectors(made.context)
        assert.equal(connector.urlTemplate, `${base}/orders/{{order}}`)
        assert.notInclude(await page.content(), 'tok-browser')

        await page.getByRole('button', { name: TEXT[lang].call }).click()
        const trial = page.locator('[data-trial="ok"]')
        await trial.waitFor()
        const shown = (await trial.textContent()) ?? ''
        assert.include(shown, `${base}/orders/4471`)
        assert.include(shown, 'Bearer ••••••••')
        assert.include(shown, 'Out for delivery')
        assert.notInclude(shown, 'tok-browser')
        assert.equal(
          (await page.locator('[data-trial-reply]').textContent())?.trim(),
          lang === 'ar' ? 'الطلب 4471: Out for delivery' : 'Order 4471 is Out for delivery.'
        )
        assert.include(
          (await page.locator('[data-trial-fields]').textContent()) ?? '',
          'ok',
          'the API saw the token'
        )
        await screenshot(page, `connector-try-${lang}-${width}`)
        assert.isTrue(await noSidewaysScroll(page), 'the page with the trial fits')

        await page.goto(serverUrl(`/t/${made.tenant.slug}/connectors`))
        assert.isTrue(await noSidewaysScroll(page), 'the list fits')
        await screenshot(page, `connector-list-${lang}-${width}`)
        assert.deepEqual(problems, [])
      }).timeout(60_000)
    }
  }
})
